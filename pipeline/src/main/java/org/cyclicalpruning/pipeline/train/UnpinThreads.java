package org.cyclicalpruning.pipeline.train;

import java.lang.reflect.Field;
import java.security.AccessControlContext;
import java.security.ProtectionDomain;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Detaches threads that outlive a job from the job's class loader, so that the loader (and the
 * metaspace of every class it loaded) can be collected when the job ends.
 *
 * <p>Threads started while a job's code runs inherit its context class loader and its access
 * control context, whose protection domains hold the loader. Most such threads end with the job;
 * a few live as long as the TaskManager (DJL's GPU probe starts JNA's cleaner thread), and each
 * would keep one job's classes for good. Flink runs this hook when it releases the loader.
 */
final class UnpinThreads {
    private static final Logger LOG = LoggerFactory.getLogger(UnpinThreads.class);

    private UnpinThreads() {}

    /** Resets the threads that still point at {@code jobLoader}. */
    @SuppressWarnings("removal") // AccessControlContext: the field still holds one on Java 17
    static void run(ClassLoader jobLoader) {
        ClassLoader ownLoader = UnpinThreads.class.getClassLoader();
        Field inheritedContext = null;
        try {
            inheritedContext = Thread.class.getDeclaredField("inheritedAccessControlContext");
            inheritedContext.setAccessible(true);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // without --add-opens java.base/java.lang the loader may stay; nothing else goes wrong
            LOG.debug("cannot reach Thread.inheritedAccessControlContext: {}", e.toString());
            inheritedContext = null;
        }
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            ClassLoader context = t.getContextClassLoader();
            if (t == Thread.currentThread() || (context != jobLoader && context != ownLoader)) {
                continue;
            }
            t.setContextClassLoader(ClassLoader.getSystemClassLoader());
            if (inheritedContext != null) {
                try {
                    inheritedContext.set(t, new AccessControlContext(new ProtectionDomain[0]));
                } catch (IllegalAccessException | RuntimeException e) {
                    LOG.debug("cannot reset the access control context of {}: {}", t.getName(), e.toString());
                }
            }
            LOG.info("detached thread '{}' from the released class loader of the job", t.getName());
        }
    }
}
