/**
 * Small shared helpers: argument checks whose messages name the setting ({@link
 * org.cyclicalpruning.modelops.util.Checks}) and the project's one duration parser ({@link
 * org.cyclicalpruning.modelops.util.Durations}). Depends on nothing.
 */
package org.cyclicalpruning.modelops.util;
