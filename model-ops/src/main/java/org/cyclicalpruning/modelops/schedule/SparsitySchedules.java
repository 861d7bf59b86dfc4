package org.cyclicalpruning.modelops.schedule;

import static org.cyclicalpruning.modelops.util.Checks.checkArgument;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.cyclicalpruning.modelops.util.Durations;

/**
 * Parses sparsity schedules from command lines and config files, and tabulates them.
 *
 * <p>The grammar (whitespace-insensitive, keys in any order, defaults as in the builders):
 *
 * <pre>
 * constant(0.9)  or  constant(sparsity=0.9)
 * one-shot(at=1000, sparsity=0.9, clock=batches)
 * gradual(final=0.9, duration=4000, start=0, initial=0, exponent=3, clock=batches)
 * cyclical(final=0.9, period=1500, cycles=3, ramp=0.75, first=0, restart=0, exponent=3, start=0, clock=batches)
 * cyclical(final=0.98, period=10m, cycles=3, on-drift=restart, drift-ramp=5m, cooldown=5m, drift-alpha=1e-4)
 * gradual(final=0.98, duration=1h, on-drift=restart)
 * </pre>
 *
 * <p>{@code on-drift=restart} makes a {@link DriftAwareSchedule}: once the schedule's own ramps are
 * over the mask is held, and a rise of the model's prequential error starts a new cycle whose ramp
 * lasts {@code drift-ramp} (default: one ramp of the schedule); the detector waits {@code cooldown}
 * after every ramp (default: a tenth of the drift ramp) and tests at confidence {@code drift-alpha}. {@code
 * on-drift=hold}, the default, never restarts.
 *
 * <p>{@code clock} is one of {@code batches}, {@code samples} or {@code event-time}; {@code
 * cycles=inf} never ends. {@code warmup} is another name for {@code start}: the model trains dense
 * for that long before pruning begins, as a model that arrives trained should ({@code
 * cyclical(final=0.95, period=10m, warmup=30m)}). Tick values may be durations ({@code 500ms}, {@code 90s}, {@code 10m},
 * {@code 2h}, {@code 1d} or ISO-8601 such as {@code PT10M}), which imply {@code clock=event-time};
 * with that clock a plain number is milliseconds. The schedules follow Zhu &amp; Gupta 2017
 * (<a href="https://arxiv.org/abs/1710.01878">arXiv:1710.01878</a>) and Srinivas et al. 2022
 * (<a href="https://arxiv.org/abs/2202.01290">arXiv:2202.01290</a>).
 */
public final class SparsitySchedules {
    /** The clock names of the grammar, for messages. */
    static final String CLOCKS = "batches, samples, event-time";

    private static final String ON_DRIFT = "on-drift";
    private static final String DRIFT_RAMP = "drift-ramp";
    private static final String COOLDOWN = "cooldown";
    private static final String DRIFT_ALPHA = "drift-alpha";

    private static final Pattern CALL = Pattern.compile("([a-z][a-z_-]*)\\((.*)\\)");
    private static final Pattern INTEGER = Pattern.compile("[+-]?\\d+");
    private static final Pattern NUMBER = Pattern.compile("[+-]?(\\d+\\.?\\d*|\\.\\d+)(e[+-]?\\d+)?");

    private SparsitySchedules() {}

    /**
     * Parses a schedule spec, such as the output of {@link SparsitySchedule#toSpec()}.
     *
     * @param spec the spec, e.g. {@code cyclical(final=0.9, period=10m, cycles=inf)}
     * @return the schedule
     * @throws IllegalArgumentException quoting the spec and naming the bad key or value and what is
     *     allowed
     */
    public static SparsitySchedule parse(String spec) {
        checkArgument(spec != null, "schedule spec must be set");
        Args args = Args.of(spec);
        try {
            switch (args.kind) {
                case "constant":
                    return parseConstant(args);
                case "one-shot":
                    return parseOneShot(args);
                case "gradual":
                    return parseGradual(args);
                case "cyclical":
                    return parseCyclical(args);
                default:
                    throw args.error(
                            "unknown schedule '" + args.kind + "'", "allowed: constant, one-shot, gradual, cyclical");
            }
        } catch (IllegalStateException | IllegalArgumentException e) {
            boolean quotesSpec = e.getMessage() != null && e.getMessage().contains(args.quoted());
            if (e instanceof IllegalArgumentException && quotesSpec) {
                throw e;
            }
            // Builder messages name the setting, value and range; add which spec they came from.
            throw new IllegalArgumentException("invalid " + args.quoted() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Returns {@code points} rows {@code {tick, sparsity}} evenly spaced from {@code from} to
     * {@code to} inclusive, for printing or plotting.
     *
     * @param schedule the schedule
     * @param from the first tick, >= 0
     * @param to the last tick, >= from
     * @param points the number of rows, >= 2
     * @return the rows; ticks are rounded to whole ticks
     */
    public static double[][] table(SparsitySchedule schedule, long from, long to, int points) {
        checkArgument(schedule != null, "schedule must be set");
        checkArgument(from >= 0, "from must be >= 0 ticks, got %s", from);
        checkArgument(to >= from, "to must be >= from (%s), got %s", from, to);
        checkArgument(points >= 2, "points must be >= 2, got %s", points);
        long span = to - from; // both >= 0, so this cannot overflow
        double[][] rows = new double[points][];
        for (int i = 0; i < points; i++) {
            long tick = i == points - 1 ? to : Math.min(to, from + Math.round(span * ((double) i / (points - 1))));
            rows[i] = new double[] {tick, schedule.sparsityAt(tick)};
        }
        return rows;
    }

    private static SparsitySchedule parseConstant(Args args) {
        args.allow("sparsity");
        return SparsitySchedule.constant(args.number("sparsity", Double.NaN, true));
    }

    private static SparsitySchedule parseOneShot(Args args) {
        args.allow("at", "sparsity", "clock");
        Clock clock = args.clock("at");
        return SparsitySchedule.oneShot(args.ticks("at", clock, -1, true), clock, args.number("sparsity", 0, true));
    }

    private static SparsitySchedule parseGradual(Args args) {
        args.alias("warmup", "start");
        args.allow(
                "final",
                "duration",
                "start",
                "initial",
                "exponent",
                "clock",
                ON_DRIFT,
                DRIFT_RAMP,
                COOLDOWN,
                DRIFT_ALPHA);
        Clock clock = args.clock("duration", "start", DRIFT_RAMP, COOLDOWN);
        return onDrift(
                args,
                clock,
                GradualSparsitySchedule.builder()
                        .setClock(clock)
                        .setFinalSparsity(args.number("final", 0, true))
                        .setDuration(args.ticks("duration", clock, 0, true))
                        .setStart(args.ticks("start", clock, 0, false))
                        .optInitialSparsity(args.number("initial", 0, false))
                        .optExponent(args.number("exponent", 3, false))
                        .build());
    }

    private static SparsitySchedule parseCyclical(Args args) {
        args.alias("warmup", "start");
        args.allow(
                "final",
                "period",
                "cycles",
                "ramp",
                "first",
                "restart",
                "exponent",
                "start",
                "clock",
                ON_DRIFT,
                DRIFT_RAMP,
                COOLDOWN,
                DRIFT_ALPHA);
        Clock clock = args.clock("period", "start", DRIFT_RAMP, COOLDOWN);
        String cycles = args.values.get("cycles");
        return onDrift(
                args,
                clock,
                CyclicalSparsitySchedule.builder()
                        .setClock(clock)
                        .setFinalSparsity(args.number("final", 0, true))
                        .setCycleLength(args.ticks("period", clock, 0, true))
                        .optCycles(
                                cycles == null || cycles.equals("inf")
                                        ? CyclicalSparsitySchedule.UNBOUNDED
                                        : args.integer("cycles", "a whole number >= 1 or inf"))
                        .optRampFraction(args.number("ramp", 0.75, false))
                        .optFirstSparsity(args.number("first", 0, false))
                        .optRestartSparsity(args.number("restart", 0, false))
                        .optExponent(args.number("exponent", 3, false))
                        .optStart(args.ticks("start", clock, 0, false))
                        .build());
    }

    /**
     * Wraps {@code base} in a {@link DriftAwareSchedule} when the spec says {@code on-drift=restart};
     * {@code on-drift=hold}, the default, keeps the mask held whatever the error does.
     */
    private static SparsitySchedule onDrift(Args args, Clock clock, SparsitySchedule base) {
        String mode = args.values.getOrDefault(ON_DRIFT, "hold");
        if (mode.equals("hold")) {
            for (String key : List.of(DRIFT_RAMP, COOLDOWN, DRIFT_ALPHA)) {
                if (args.values.containsKey(key)) {
                    throw args.error("key '" + key + "' without on-drift=restart", "add on-drift=restart or drop it");
                }
            }
            return base;
        }
        if (!mode.equals("restart")) {
            throw args.badValue(ON_DRIFT, mode, "restart or hold");
        }
        DriftAwareSchedule defaults = DriftAwareSchedule.withDefaults(base);
        long ramp = args.ticks(DRIFT_RAMP, clock, defaults.restartRamp(), false);
        return new DriftAwareSchedule(
                base,
                ramp,
                args.ticks(COOLDOWN, clock, DriftAwareSchedule.defaultCooldown(ramp), false),
                args.number(DRIFT_ALPHA, defaults.alpha(), false));
    }

    /** The key-value arguments of one spec, with messages that quote the spec. */
    private static final class Args {
        final String spec;
        final String kind;
        final Map<String, String> values;
        private String allowed = "";

        private Args(String spec, String kind, Map<String, String> values) {
            this.spec = spec;
            this.kind = kind;
            this.values = values;
        }

        static Args of(String spec) {
            // Lower case is safe: keys, clock names, units and ISO-8601 durations are case-insensitive.
            String text = spec.replaceAll("\\s+", "").toLowerCase(Locale.ROOT);
            Matcher m = CALL.matcher(text);
            if (!m.matches()) {
                throw new IllegalArgumentException(String.format(
                        "invalid schedule spec '%s'; expected name(key=value, ...) with name one of constant,"
                                + " one-shot, gradual, cyclical, e.g. cyclical(final=0.9, period=1500, cycles=3)",
                        spec));
            }
            Args args = new Args(spec, m.group(1), new LinkedHashMap<>());
            if (m.group(2).isEmpty()) {
                return args;
            }
            String[] parts = m.group(2).split(",", -1);
            for (String part : parts) {
                int eq = part.indexOf('=');
                String key = eq < 0 ? "" : part.substring(0, eq);
                String value = eq < 0 ? part : part.substring(eq + 1);
                if (eq < 0 && parts.length == 1 && args.kind.equals("constant")) {
                    key = "sparsity"; // constant(0.9) is the one positional form
                }
                if (key.isEmpty() || value.isEmpty()) {
                    throw args.error("invalid argument '" + part + "'", "expected key=value");
                }
                if (args.values.put(key, value) != null) {
                    throw args.error("duplicate key '" + key + "'", "");
                }
            }
            return args;
        }

        String quoted() {
            return "'" + spec + "'";
        }

        IllegalArgumentException error(String problem, String hint) {
            return new IllegalArgumentException(problem + " in " + quoted() + (hint.isEmpty() ? "" : "; " + hint));
        }

        IllegalArgumentException badValue(String key, String value, String expected) {
            return error("bad value '" + value + "' for key '" + key + "'", "expected " + expected);
        }

        /**
         * Reads {@code alias} as {@code key}: {@code warmup=30m} says what {@code start=30m} does,
         * a dense phase before pruning begins, in the words of a model that arrives trained.
         */
        void alias(String alias, String key) {
            String value = values.remove(alias);
            if (value != null) {
                if (values.containsKey(key)) {
                    throw error("both '" + alias + "' and '" + key + "'", "give one of them: they mean the same");
                }
                values.put(key, value);
            }
        }

        void allow(String... keys) {
            allowed = String.join(", ", keys);
            List<String> known = List.of(keys);
            for (String key : values.keySet()) {
                if (!known.contains(key)) {
                    throw error("unknown key '" + key + "'", "allowed: " + allowed);
                }
            }
        }

        private String value(String key, boolean required) {
            String value = values.get(key);
            if (value == null && required) {
                throw error("missing required key '" + key + "'", "allowed: " + allowed);
            }
            return value;
        }

        double number(String key, double fallback, boolean required) {
            String value = value(key, required);
            if (value == null) {
                return fallback;
            }
            if (!NUMBER.matcher(value).matches()) {
                throw badValue(key, value, "a decimal number such as 0.9");
            }
            return Double.parseDouble(value);
        }

        long integer(String key, String expected) {
            String value = values.get(key);
            if (INTEGER.matcher(value).matches()) {
                try {
                    return Long.parseLong(value);
                } catch (NumberFormatException e) {
                    // too large; reported below
                }
            }
            throw badValue(key, value, expected);
        }

        /** Returns the explicit clock, else event time if any of {@code tickKeys} is a duration. */
        Clock clock(String... tickKeys) {
            String name = values.get("clock");
            Clock explicit = null;
            if (name != null) {
                try {
                    explicit = Clock.valueOf(name.replace('-', '_').toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw badValue("clock", name, "one of " + CLOCKS);
                }
            }
            for (String key : tickKeys) {
                String value = values.get(key);
                if (value != null && Durations.looksLikeDuration(value)) {
                    if (explicit != null && explicit != Clock.EVENT_TIME) {
                        throw error(
                                "duration value '" + value + "' for key '" + key + "' with clock=" + name,
                                "durations need clock=event-time; with clock=" + name
                                        + " give a whole number of ticks");
                    }
                    if (explicit == null) {
                        refuseCounts(key, value, tickKeys);
                    }
                    return Clock.EVENT_TIME;
                }
            }
            return explicit == null ? Clock.BATCHES : explicit;
        }

        /**
         * A duration implies the event-time clock, where a plain number would be milliseconds:
         * {@code period=1000, warmup=10m} would silently be a 1 s period. Unless the clock is
         * given, a count beside a duration is refused (0 means the same in every unit).
         */
        private void refuseCounts(String durationKey, String duration, String... tickKeys) {
            for (String key : tickKeys) {
                String value = values.get(key);
                if (value != null && INTEGER.matcher(value).matches() && !value.matches("[+-]?0+")) {
                    throw error(
                            "'" + key + "=" + value + "' is a count but '" + durationKey + "=" + duration
                                    + "' is a duration",
                            "give both as durations, or add clock=event-time to count milliseconds");
                }
            }
        }

        long ticks(String key, Clock clock, long fallback, boolean required) {
            String value = value(key, required);
            if (value == null) {
                return fallback;
            }
            if (INTEGER.matcher(value).matches()) {
                return integer(key, "a whole number of ticks");
            }
            if (Durations.looksLikeDuration(value)) {
                Duration duration = null;
                try {
                    duration = Durations.parse(value);
                } catch (IllegalArgumentException e) {
                    // reported below
                }
                if (duration != null) {
                    return toMillis(key, duration); // names a negative or sub-millisecond value itself
                }
            }
            throw badValue(key, value, "a whole number of ticks or a duration such as " + Durations.FORMS);
        }
    }

    // Helpers shared by the schedule classes.

    static void checkTicks(long ticks) {
        checkArgument(ticks >= 0, "ticks must be >= 0, got %s", ticks);
    }

    /** Checks what the ramp schedules' timing needs: a clock, a start >= 0 and a positive length. */
    static void checkTiming(Clock clock, long start, String lengthName, long length) {
        checkArgument(clock != null, "clock must be set; allowed: %s", CLOCKS);
        checkArgument(start >= 0, "start must be >= 0 ticks, got %s", start);
        checkArgument(length > 0, "%s must be > 0 ticks, got %s", lengthName, length);
    }

    static void checkExponent(double exponent) {
        checkArgument(Double.isFinite(exponent) && exponent > 0, "exponent must be finite and > 0, got %s", exponent);
    }

    /** Converts an event-time duration to whole milliseconds, the tick of {@link Clock#EVENT_TIME}. */
    static long toMillis(String name, Duration duration) {
        checkArgument(duration != null, "%s must be set", name);
        try {
            return Durations.toMillis(duration);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(name + ": " + e.getMessage(), e);
        }
    }

    /** Returns the clock implied by the builder settings, rejecting durations on a count clock. */
    static Clock resolveClock(Clock clock, boolean usesDuration) {
        if (clock == null) {
            return usesDuration ? Clock.EVENT_TIME : Clock.BATCHES;
        }
        checkArgument(
                !usesDuration || clock == Clock.EVENT_TIME,
                "clock is %s but a Duration was given; durations measure event time, so use clock %s or"
                        + " long ticks",
                clock,
                Clock.EVENT_TIME);
        return clock;
    }

    static String clockName(Clock clock) {
        return clock.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Formats a double so that {@link Double#parseDouble} returns exactly it: 3 for 3.0, 0.9. */
    static String formatNumber(double value) {
        String text = Double.toString(value);
        return text.endsWith(".0") ? text.substring(0, text.length() - 2) : text;
    }

    /** Formats ticks; event time as a duration in the largest unit that divides it exactly. */
    static String formatTicks(long ticks, Clock clock) {
        return clock == Clock.EVENT_TIME ? Durations.format(ticks) : Long.toString(ticks);
    }
}
