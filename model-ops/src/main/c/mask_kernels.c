/*
 * Magnitude-pruning kernels for NativeMaskKernels (model-ops). They work on float32 tensors in
 * place, in the memory PyTorch allocated for them, reached through direct ByteBuffers, so a mask
 * update copies nothing between the JVM heap and native memory.
 *
 * A weight's magnitude key is its IEEE-754 bit pattern with the sign cleared: for non-negative
 * floats the bits order like the values, so every comparison here is an integer comparison.
 *
 * x86-64 gets AVX-512 and AVX2 versions chosen at run time (__builtin_cpu_supports); every other
 * target, and x86-64 without AVX2, gets the portable loops, which compute the same results.
 */
#include <jni.h>
#include <stdint.h>
#include <string.h>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define HAVE_X86 1
#endif

#define ABS_MASK 0x7fffffff

static inline int32_t key_at(const float *w, int64_t i) {
    int32_t bits;
    memcpy(&bits, w + i, sizeof bits);
    return bits & ABS_MASK;
}

/* ---------------------------------------------------------------------------------------------
 * scan: counts keys below lo and gathers the keys in [lo, hi] (while they fit); returns the counts.
 * ------------------------------------------------------------------------------------------- */

typedef struct {
    int64_t below;
    int64_t gathered;
} scan_result;

static scan_result scan_portable(const float *w, int64_t from, int64_t n, int32_t lo, int32_t hi,
                                 int32_t *window, int64_t capacity, scan_result r) {
    for (int64_t i = from; i < n; i++) {
        int32_t k = key_at(w, i);
        if (k < lo) {
            r.below++;
        } else if (k <= hi) {
            if (r.gathered < capacity) {
                window[r.gathered] = k;
            }
            r.gathered++;
        }
    }
    return r;
}

#ifdef HAVE_X86
/*
 * The vector versions of scan share their loop: CHUNK classifies the LANES keys at w + i, then the
 * portable loop takes the tail.
 */
#define DEFINE_SCAN(name, isa, LANES, CHUNK)                                                              \
    __attribute__((target(isa))) static scan_result name(const float *w, int64_t n, int32_t lo, int32_t hi, \
                                                         int32_t *window, int64_t capacity) {             \
        scan_result r = {0, 0};                                                                          \
        int64_t i = 0;                                                                                   \
        for (; i + (LANES) <= n; i += (LANES)) {                                                         \
            CHUNK(w + i, lo, hi, window, capacity, &r);                                                  \
        }                                                                                                \
        return scan_portable(w, i, n, lo, hi, window, capacity, r);                                      \
    }

__attribute__((target("avx512f,popcnt")))
static inline void scan_chunk_avx512(const float *w, int32_t lo, int32_t hi, int32_t *window, int64_t capacity,
                                     scan_result *r) {
    __m512i k = _mm512_and_si512(_mm512_loadu_si512((const void *) w), _mm512_set1_epi32(ABS_MASK));
    __mmask16 lt = _mm512_cmplt_epi32_mask(k, _mm512_set1_epi32(lo));
    __mmask16 le = _mm512_cmple_epi32_mask(k, _mm512_set1_epi32(hi));
    r->below += __builtin_popcount((unsigned) lt);
    __mmask16 in = le & ~lt;
    if (in) {
        /* the bracket holds a few hundred keys in steady state: this branch is rarely taken */
        int count = __builtin_popcount((unsigned) in);
        if (r->gathered + 16 <= capacity) {
            _mm512_mask_compressstoreu_epi32(window + r->gathered, in, k);
        } else {
            int32_t lanes[16];
            _mm512_storeu_si512((void *) lanes, k);
            for (unsigned m = in; m; m &= m - 1) {
                int64_t at = r->gathered + (count - __builtin_popcount(m));
                if (at < capacity) {
                    window[at] = lanes[__builtin_ctz(m)];
                }
            }
        }
        r->gathered += count;
    }
}

__attribute__((target("avx2,popcnt")))
static inline void scan_chunk_avx2(const float *w, int32_t lo, int32_t hi, int32_t *window, int64_t capacity,
                                   scan_result *r) {
    __m256i k = _mm256_and_si256(_mm256_loadu_si256((const __m256i *) w), _mm256_set1_epi32(ABS_MASK));
    unsigned lt = (unsigned) _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(lo), k)));
    unsigned gt = (unsigned) _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(k, _mm256_set1_epi32(hi))));
    r->below += __builtin_popcount(lt);
    unsigned in = ~(lt | gt) & 0xffu;
    if (in) {
        int32_t lanes[8];
        _mm256_storeu_si256((__m256i *) lanes, k);
        for (; in; in &= in - 1) {
            if (r->gathered < capacity) {
                window[r->gathered] = lanes[__builtin_ctz(in)];
            }
            r->gathered++;
        }
    }
}

DEFINE_SCAN(scan_avx512, "avx512f,popcnt", 16, scan_chunk_avx512)
DEFINE_SCAN(scan_avx2, "avx2,popcnt", 8, scan_chunk_avx2)
#endif

static scan_result scan(const float *w, int64_t n, int32_t lo, int32_t hi, int32_t *window, int64_t capacity) {
#ifdef HAVE_X86
    if (__builtin_cpu_supports("avx512f")) {
        return scan_avx512(w, n, lo, hi, window, capacity);
    }
    if (__builtin_cpu_supports("avx2")) {
        return scan_avx2(w, n, lo, hi, window, capacity);
    }
#endif
    scan_result r = {0, 0};
    return scan_portable(w, 0, n, lo, hi, window, capacity, r);
}

/* ---------------------------------------------------------------------------------------------
 * project: a weight is kept when its key is above the threshold; of the weights whose key equals
 * it, the first `ties` (by index) are pruned and the others kept. Pruned weights and their
 * optimizer state become zero. Returns the ties still to prune (in later tensors).
 * ------------------------------------------------------------------------------------------- */

/* Of the lanes in eq (ascending), the first *ties are pruned: returns the lanes kept. */
static inline uint32_t keep_ties(uint32_t eq, int64_t *ties) {
    int count = __builtin_popcount(eq);
    if (*ties >= count) {
        *ties -= count;
        return 0;
    }
    uint32_t kept = eq;
    for (int64_t t = *ties; t > 0; t--) {
        kept &= kept - 1; /* drop the lowest lane: it is pruned */
    }
    *ties = 0;
    return kept;
}

static inline void zero_where_pruned(float *a, int64_t base, int count, uint64_t keep) {
    for (int j = 0; j < count; j++) {
        if (!((keep >> j) & 1u)) {
            a[base + j] = 0.0f;
        }
    }
}

static int64_t project_portable(float *w, float *s0, float *s1, int64_t from_word, int64_t n, int32_t threshold,
                                int64_t ties, uint64_t *kept) {
    int64_t words = (n + 63) >> 6;
    for (int64_t wd = from_word; wd < words; wd++) {
        int64_t base = wd << 6;
        int count = (int) (n - base < 64 ? n - base : 64);
        uint64_t keep = 0;
        for (int j = 0; j < count; j++) {
            int32_t k = key_at(w, base + j);
            int kept_here = k > threshold;
            if (k == threshold) {
                kept_here = ties > 0 ? (ties--, 0) : 1;
            }
            keep |= (uint64_t) kept_here << j;
        }
        kept[wd] = keep;
        if (s0) {
            zero_where_pruned(s0, base, count, keep);
        }
        if (s1) {
            zero_where_pruned(s1, base, count, keep);
        }
        zero_where_pruned(w, base, count, keep);
    }
    return ties;
}

#ifdef HAVE_X86
/*
 * The vector versions of project share their loop over the full 64-weight words: WORD projects the
 * word at base and returns its kept bits; the portable loop takes the last, partial word.
 */
#define DEFINE_PROJECT(name, isa, WORD)                                                                  \
    __attribute__((target(isa))) static int64_t name(float *w, float *s0, float *s1, int64_t n,          \
                                                     int32_t threshold, int64_t ties, uint64_t *kept) {   \
        int64_t full = n >> 6;                                                                           \
        for (int64_t wd = 0; wd < full; wd++) {                                                          \
            kept[wd] = WORD(w, s0, s1, wd << 6, threshold, &ties);                                       \
        }                                                                                                \
        return project_portable(w, s0, s1, full, n, threshold, ties, kept);                              \
    }

/* These zero the lanes of a (which may be absent) at off that are not kept. */
__attribute__((target("avx512f")))
static inline void keep_lanes_avx512(float *a, int64_t off, __mmask16 keep) {
    if (a) {
        _mm512_storeu_ps(a + off, _mm512_maskz_mov_ps(keep, _mm512_loadu_ps(a + off)));
    }
}

/* m: all ones in the lanes kept */
__attribute__((target("avx2")))
static inline void keep_lanes_avx2(float *a, int64_t off, __m256 m) {
    if (a) {
        _mm256_storeu_ps(a + off, _mm256_and_ps(m, _mm256_loadu_ps(a + off)));
    }
}

__attribute__((target("avx512f,popcnt")))
static inline uint64_t project_word_avx512(float *w, float *s0, float *s1, int64_t base, int32_t threshold,
                                           int64_t *ties) {
    const __m512i abs_mask = _mm512_set1_epi32(ABS_MASK);
    const __m512i vt = _mm512_set1_epi32(threshold);
    uint64_t bits = 0;
    for (int j = 0; j < 4; j++) {
        int64_t off = base + (j << 4);
        __m512i k = _mm512_and_si512(_mm512_castps_si512(_mm512_loadu_ps(w + off)), abs_mask);
        __mmask16 keep = _mm512_cmpgt_epi32_mask(k, vt);
        __mmask16 eq = _mm512_cmpeq_epi32_mask(k, vt);
        if (eq) {
            keep |= (__mmask16) keep_ties(eq, ties);
        }
        bits |= (uint64_t) keep << (j << 4);
        if (keep != 0xffff) {
            keep_lanes_avx512(w, off, keep);
            keep_lanes_avx512(s0, off, keep);
            keep_lanes_avx512(s1, off, keep);
        }
    }
    return bits;
}

__attribute__((target("avx2,popcnt")))
static inline uint64_t project_word_avx2(float *w, float *s0, float *s1, int64_t base, int32_t threshold,
                                         int64_t *ties) {
    const __m256i abs_mask = _mm256_set1_epi32(ABS_MASK);
    const __m256i vt = _mm256_set1_epi32(threshold);
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    uint64_t bits = 0;
    for (int j = 0; j < 8; j++) {
        int64_t off = base + (j << 3);
        __m256i k = _mm256_and_si256(_mm256_castps_si256(_mm256_loadu_ps(w + off)), abs_mask);
        unsigned keep = (unsigned) _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpgt_epi32(k, vt)));
        unsigned eq = (unsigned) _mm256_movemask_ps(_mm256_castsi256_ps(_mm256_cmpeq_epi32(k, vt)));
        if (eq) {
            keep |= keep_ties(eq, ties);
        }
        bits |= (uint64_t) keep << (j << 3);
        if (keep != 0xffu) {
            /* lane i of the blend mask is all ones when bit i of keep is set */
            __m256 m = _mm256_castsi256_ps(
                    _mm256_cmpeq_epi32(_mm256_and_si256(_mm256_set1_epi32((int) keep), lanes), lanes));
            keep_lanes_avx2(w, off, m);
            keep_lanes_avx2(s0, off, m);
            keep_lanes_avx2(s1, off, m);
        }
    }
    return bits;
}

DEFINE_PROJECT(project_avx512, "avx512f,popcnt", project_word_avx512)
DEFINE_PROJECT(project_avx2, "avx2,popcnt", project_word_avx2)
#endif

static int64_t project(float *w, float *s0, float *s1, int64_t n, int32_t threshold, int64_t ties, uint64_t *kept) {
#ifdef HAVE_X86
    if (__builtin_cpu_supports("avx512f")) {
        return project_avx512(w, s0, s1, n, threshold, ties, kept);
    }
    if (__builtin_cpu_supports("avx2")) {
        return project_avx2(w, s0, s1, n, threshold, ties, kept);
    }
#endif
    return project_portable(w, s0, s1, 0, n, threshold, ties, kept);
}

/* ---------------------------------------------------------------------------------------------
 * account: what changed from old to kept; ever |= pruned; float mask rewritten where it changed.
 * ------------------------------------------------------------------------------------------- */

static inline void write_mask_word_portable(float *mask, int64_t base, int count, uint64_t now) {
    for (int j = 0; j < count; j++) {
        mask[base + j] = (now >> j) & 1u ? 1.0f : 0.0f;
    }
}

#ifdef HAVE_X86
__attribute__((target("avx512f,popcnt")))
static void write_mask_word_avx512(float *mask, int64_t base, uint64_t now) {
    const __m512 ones = _mm512_set1_ps(1.0f);
    for (int j = 0; j < 4; j++) {
        _mm512_storeu_ps(mask + base + (j << 4), _mm512_maskz_mov_ps((__mmask16) (now >> (j << 4)), ones));
    }
}

__attribute__((target("avx2,popcnt")))
static void write_mask_word_avx2(float *mask, int64_t base, uint64_t now) {
    const __m256i lanes = _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
    const __m256 ones = _mm256_set1_ps(1.0f);
    for (int j = 0; j < 8; j++) {
        __m256i bits = _mm256_set1_epi32((int) ((now >> (j << 3)) & 0xffu));
        __m256 m = _mm256_castsi256_ps(_mm256_cmpeq_epi32(_mm256_and_si256(bits, lanes), lanes));
        _mm256_storeu_ps(mask + base + (j << 3), _mm256_and_ps(m, ones));
    }
}
#endif

static void write_mask(const uint64_t *kept, int64_t n, float *mask) {
    int64_t full = n >> 6;
    int64_t wd = 0;
#ifdef HAVE_X86
    if (__builtin_cpu_supports("avx512f")) {
        for (; wd < full; wd++) {
            write_mask_word_avx512(mask, wd << 6, kept[wd]);
        }
    } else if (__builtin_cpu_supports("avx2")) {
        for (; wd < full; wd++) {
            write_mask_word_avx2(mask, wd << 6, kept[wd]);
        }
    }
#endif
    for (; wd < ((n + 63) >> 6); wd++) {
        int64_t base = wd << 6;
        write_mask_word_portable(mask, base, (int) (n - base < 64 ? n - base : 64), kept[wd]);
    }
}

static inline __attribute__((always_inline)) void account_body(const uint64_t *kept, const uint64_t *old,
                                                              uint64_t *ever, int64_t n, float *mask,
                                                              int64_t counts[4]) {
    int64_t words = (n + 63) >> 6;
    int64_t churn = 0;
    int64_t regrown = 0;
    int64_t recovered = 0;
    int64_t pruned = 0;
    int isa = 0;
#ifdef HAVE_X86
    isa = __builtin_cpu_supports("avx512f") ? 2 : __builtin_cpu_supports("avx2") ? 1 : 0;
#endif
    for (int64_t wd = 0; wd < words; wd++) {
        int64_t base = wd << 6;
        int count = (int) (n - base < 64 ? n - base : 64);
        uint64_t valid = count == 64 ? ~(uint64_t) 0 : (((uint64_t) 1 << count) - 1);
        uint64_t now = kept[wd];
        uint64_t changed = old[wd] ^ now;
        churn += __builtin_popcountll(changed);
        regrown += __builtin_popcountll(now & ~old[wd]);
        recovered += __builtin_popcountll(now & ever[wd]);
        pruned += __builtin_popcountll(~now & valid);
        ever[wd] |= ~now & valid;
        if (mask && changed) {
#ifdef HAVE_X86
            if (count == 64 && isa == 2) {
                write_mask_word_avx512(mask, base, now);
                continue;
            }
            if (count == 64 && isa == 1) {
                write_mask_word_avx2(mask, base, now);
                continue;
            }
#endif
            write_mask_word_portable(mask, base, count, now);
        }
    }
    counts[0] += churn;
    counts[1] += regrown;
    counts[2] += recovered;
    counts[3] += pruned;
}

#ifdef HAVE_X86
/* the same loop with the POPCNT instruction instead of libgcc's bit-twiddling popcount */
__attribute__((target("popcnt")))
static void account_popcnt(const uint64_t *kept, const uint64_t *old, uint64_t *ever, int64_t n, float *mask,
                           int64_t counts[4]) {
    account_body(kept, old, ever, n, mask, counts);
}
#endif

static void account(const uint64_t *kept, const uint64_t *old, uint64_t *ever, int64_t n, float *mask,
                    int64_t counts[4]) {
#ifdef HAVE_X86
    if (__builtin_cpu_supports("popcnt")) {
        account_popcnt(kept, old, ever, n, mask, counts);
        return;
    }
#endif
    account_body(kept, old, ever, n, mask, counts);
}

/* ---------------------------------------------------------------------------------------------
 * Serving: y = W x + b per layer for a batch, W in compressed sparse rows or dense. The batch is
 * packed in tiles of 16 or 32 examples: tile t holds, for each feature i, the tile's values of i
 * side by side (panel[t][i][0..width)). One output's sums for a tile then fill one or two vector
 * registers, a weight adds its feature's slice of the tile with one contiguous load per register,
 * and a layer's packed output is the next layer's packed input. Contiguous tiles matter: with the
 * batch as a plain transposed matrix, the slices of one tile are a row apart, and at 512 examples
 * (2 KiB rows) they fall into so few cache sets that they evict each other.
 * ------------------------------------------------------------------------------------------- */

/* GCC's vector extension: 16 floats, two AVX2 or one AVX-512 register; aligned(4) allows any address */
typedef float spmm_vec __attribute__((vector_size(64), aligned(4)));
typedef int32_t spmm_mask __attribute__((vector_size(64), aligned(4)));

/* lanes below zero become 0; NaN compares false and stays NaN, as in PyTorch (a macro: a function
 * returning a 64-byte vector would change its ABI between the clones) */
#define SPMM_RELU(v, zero) ((spmm_vec) ((spmm_mask) (v) & ~(spmm_mask) ((v) < (zero))))

#if defined(HAVE_X86) && defined(__GNUC__) && !defined(__clang__)
#define SERVING_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SERVING_CLONES
#endif

/* x (rows x cols, row-major) into tiles of `width` examples; the last tile's missing examples are 0 */
static void pack(const float *restrict x, int32_t rows, int32_t cols, int32_t width, float *restrict panel) {
    const int32_t tiles = (rows + width - 1) / width;
    for (int32_t t = 0; t < tiles; t++) {
        float *block = panel + (int64_t) t * cols * width;
        for (int32_t j = 0; j < width; j++) {
            const int32_t row = t * width + j;
            if (row < rows) {
                const float *in = x + (int64_t) row * cols;
                for (int32_t i = 0; i < cols; i++) {
                    block[(int64_t) i * width + j] = in[i];
                }
            } else {
                for (int32_t i = 0; i < cols; i++) {
                    block[(int64_t) i * width + j] = 0.0f;
                }
            }
        }
    }
}

/* the inverse of pack, for the rows that exist */
static void unpack(const float *restrict panel, int32_t rows, int32_t cols, int32_t width, float *restrict y) {
    for (int32_t row = 0; row < rows; row++) {
        const float *block = panel + (int64_t) (row / width) * cols * width + row % width;
        float *out = y + (int64_t) row * cols;
        for (int32_t i = 0; i < cols; i++) {
            out[i] = block[(int64_t) i * width];
        }
    }
}

/* One output of one tile over its non-zero weights. Four sets of sums, one per weight in turn:
 * a single set would wait on each multiply-add's latency, four keep two FMA pipes fed. */
static inline __attribute__((always_inline)) void spmm_row(const int32_t *restrict columns,
                                                           const float *restrict values, int32_t from, int32_t to,
                                                           float bias, const float *restrict block, float *restrict y,
                                                           const int nv, int relu) {
    const spmm_vec zero = {0};
    spmm_vec a[4][2];
    for (int v = 0; v < nv; v++) {
        a[0][v] = zero + bias;
        a[1][v] = zero;
        a[2][v] = zero;
        a[3][v] = zero;
    }
    const int32_t width = 16 * nv;
    int32_t k = from;
    for (; k + 4 <= to; k += 4) {
        for (int u = 0; u < 4; u++) {
            const float w = values[k + u];
            const float *x = block + (int64_t) columns[k + u] * width;
            for (int v = 0; v < nv; v++) {
                a[u][v] += w * *(const spmm_vec *) (x + 16 * v);
            }
        }
    }
    for (; k < to; k++) {
        const float w = values[k];
        const float *x = block + (int64_t) columns[k] * width;
        for (int v = 0; v < nv; v++) {
            a[0][v] += w * *(const spmm_vec *) (x + 16 * v);
        }
    }
    for (int v = 0; v < nv; v++) {
        const spmm_vec sum = (a[0][v] + a[1][v]) + (a[2][v] + a[3][v]);
        *(spmm_vec *) (y + 16 * v) = relu ? SPMM_RELU(sum, zero) : sum;
    }
}

static inline __attribute__((always_inline)) void spmm_body(const int32_t *restrict row_start,
                                                            const int32_t *restrict columns,
                                                            const float *restrict values, const float *restrict bias,
                                                            const float *restrict xp, float *restrict yp,
                                                            int32_t inputs, int32_t outputs, int32_t tiles,
                                                            const int nv, int relu) {
    const int32_t width = 16 * nv;
    for (int32_t t = 0; t < tiles; t++) {
        const float *block = xp + (int64_t) t * inputs * width;
        float *out = yp + (int64_t) t * outputs * width;
        for (int32_t r = 0; r < outputs; r++) {
            spmm_row(columns, values, row_start[r], row_start[r + 1], bias[r], block, out + (int64_t) r * width, nv,
                     relu);
        }
    }
}

SERVING_CLONES
static void spmm16(const int32_t *restrict row_start, const int32_t *restrict columns, const float *restrict values,
                   const float *restrict bias, const float *restrict xp, float *restrict yp, int32_t inputs,
                   int32_t outputs, int32_t tiles, int relu) {
    spmm_body(row_start, columns, values, bias, xp, yp, inputs, outputs, tiles, 1, relu);
}

SERVING_CLONES
static void spmm32(const int32_t *restrict row_start, const int32_t *restrict columns, const float *restrict values,
                   const float *restrict bias, const float *restrict xp, float *restrict yp, int32_t inputs,
                   int32_t outputs, int32_t tiles, int relu) {
    spmm_body(row_start, columns, values, bias, xp, yp, inputs, outputs, tiles, 2, relu);
}

/* Dense W (outputs x inputs, row-major): the path of a layer too dense for the sparse one to pay.
 * A block of 12 / nv outputs of one tile stays in 12 registers, enough independent sums to keep
 * two FMA pipes busy; each weight is read once per tile, each feature's slice once per block. */
static inline __attribute__((always_inline)) void gemm_body(const float *restrict w, const float *restrict bias,
                                                            const float *restrict xp, float *restrict yp,
                                                            int32_t inputs, int32_t outputs, int32_t tiles,
                                                            const int nv, int relu) {
    const spmm_vec zero = {0};
    const int32_t width = 16 * nv;
    const int block = 12 / nv;
    for (int32_t t = 0; t < tiles; t++) {
        const float *panel = xp + (int64_t) t * inputs * width;
        float *out = yp + (int64_t) t * outputs * width;
        int32_t r0 = 0;
        for (; r0 + block <= outputs; r0 += block) {
            spmm_vec a[12][2];
            for (int o = 0; o < block; o++) {
                for (int v = 0; v < nv; v++) {
                    a[o][v] = zero + bias[r0 + o];
                }
            }
            const float *wr = w + (int64_t) r0 * inputs;
            for (int32_t i = 0; i < inputs; i++) {
                const float *x = panel + (int64_t) i * width;
                spmm_vec xv[2];
                for (int v = 0; v < nv; v++) {
                    xv[v] = *(const spmm_vec *) (x + 16 * v);
                }
                for (int o = 0; o < block; o++) {
                    const float wi = wr[(int64_t) o * inputs + i];
                    for (int v = 0; v < nv; v++) {
                        a[o][v] += wi * xv[v];
                    }
                }
            }
            for (int o = 0; o < block; o++) {
                for (int v = 0; v < nv; v++) {
                    *(spmm_vec *) (out + (int64_t) (r0 + o) * width + 16 * v) =
                            relu ? SPMM_RELU(a[o][v], zero) : a[o][v];
                }
            }
        }
        for (; r0 < outputs; r0++) {
            spmm_vec a[2];
            for (int v = 0; v < nv; v++) {
                a[v] = zero + bias[r0];
            }
            const float *wr = w + (int64_t) r0 * inputs;
            for (int32_t i = 0; i < inputs; i++) {
                for (int v = 0; v < nv; v++) {
                    a[v] += wr[i] * *(const spmm_vec *) (panel + (int64_t) i * width + 16 * v);
                }
            }
            for (int v = 0; v < nv; v++) {
                *(spmm_vec *) (out + (int64_t) r0 * width + 16 * v) = relu ? SPMM_RELU(a[v], zero) : a[v];
            }
        }
    }
}

SERVING_CLONES
static void gemm16(const float *restrict w, const float *restrict bias, const float *restrict xp, float *restrict yp,
                   int32_t inputs, int32_t outputs, int32_t tiles, int relu) {
    gemm_body(w, bias, xp, yp, inputs, outputs, tiles, 1, relu);
}

SERVING_CLONES
static void gemm32(const float *restrict w, const float *restrict bias, const float *restrict xp, float *restrict yp,
                   int32_t inputs, int32_t outputs, int32_t tiles, int relu) {
    gemm_body(w, bias, xp, yp, inputs, outputs, tiles, 2, relu);
}

/* ---------------------------------------------------------------------------------------------
 * Training while the mask holds: the weight gradient at the kept positions only, a sampled
 * dense-dense product. Both factors are packed in tiles as for spmm: dz (outputs per tile) and the
 * layer's input a (inputs per tile); for each kept weight k of row r and column columns[k],
 * grad[k] = the sum over the batch of dz[r] * a[columns[k]]. Padded examples hold dz = 0 and add
 * nothing.
 * ------------------------------------------------------------------------------------------- */
static inline __attribute__((always_inline)) void sddmm_body(const int32_t *restrict row_start,
                                                             const int32_t *restrict columns,
                                                             const float *restrict dzp, const float *restrict ap,
                                                             float *restrict grad, int32_t inputs, int32_t outputs,
                                                             int32_t tiles, const int nv) {
    const spmm_vec zero = {0};
    const int32_t width = 16 * nv;
    for (int32_t r = 0; r < outputs; r++) {
        for (int32_t k = row_start[r]; k < row_start[r + 1]; k++) {
            spmm_vec acc[2] = {zero, zero};
            for (int32_t t = 0; t < tiles; t++) {
                const float *dz = dzp + ((int64_t) t * outputs + r) * width;
                const float *a = ap + ((int64_t) t * inputs + columns[k]) * width;
                for (int v = 0; v < nv; v++) {
                    acc[v] += *(const spmm_vec *) (dz + 16 * v) * *(const spmm_vec *) (a + 16 * v);
                }
            }
            spmm_vec sum = nv == 2 ? acc[0] + acc[1] : acc[0];
            float total = 0;
            for (int l = 0; l < 16; l++) {
                total += sum[l];
            }
            grad[k] = total;
        }
    }
}

SERVING_CLONES
static void sddmm16(const int32_t *restrict row_start, const int32_t *restrict columns, const float *restrict dzp,
                    const float *restrict ap, float *restrict grad, int32_t inputs, int32_t outputs, int32_t tiles) {
    sddmm_body(row_start, columns, dzp, ap, grad, inputs, outputs, tiles, 1);
}

SERVING_CLONES
static void sddmm32(const int32_t *restrict row_start, const int32_t *restrict columns, const float *restrict dzp,
                    const float *restrict ap, float *restrict grad, int32_t inputs, int32_t outputs, int32_t tiles) {
    sddmm_body(row_start, columns, dzp, ap, grad, inputs, outputs, tiles, 2);
}

/* The sum of squares of n floats, in float: a bound, not a statistic (an overflow gives inf,
 * which the caller treats as too large). */
SERVING_CLONES
static float sum_squares(const float *restrict a, int64_t n) {
    spmm_vec acc[4] = {{0}, {0}, {0}, {0}};
    int64_t i = 0;
    for (; i + 64 <= n; i += 64) {
        for (int u = 0; u < 4; u++) {
            const spmm_vec v = *(const spmm_vec *) (a + i + 16 * u);
            acc[u] += v * v;
        }
    }
    const spmm_vec sum = (acc[0] + acc[1]) + (acc[2] + acc[3]);
    float total = 0;
    for (int l = 0; l < 16; l++) {
        total += sum[l];
    }
    for (; i < n; i++) {
        total += a[i] * a[i];
    }
    return total;
}

/* Twelve independent chains of vector multiply-adds, nothing read or written: the most floating
 * point work one core can do per second, to report kernels against (2 x 16 x 12 flops a step). */
SERVING_CLONES
static float fma_peak(int64_t steps) {
    spmm_vec a[12];
    const spmm_vec m = {0};
    const spmm_vec scale = m + 0.999999f;
    const spmm_vec add = m + 1e-7f;
    for (int c = 0; c < 12; c++) {
        a[c] = m + (float) c;
    }
    for (int64_t s = 0; s < steps; s++) {
        for (int c = 0; c < 12; c++) {
            a[c] = a[c] * scale + add;
        }
    }
    float sum = 0;
    for (int c = 0; c < 12; c++) {
        sum += a[c][0] + a[c][15];
    }
    return sum;
}

/* ---------------------------------------------------------------------------------------------
 * JNI entry points (org.cyclicalpruning.modelops.mask.select.NativeMaskKernels). Buffer addresses are
 * taken before any critical section opens: no JNI call may run inside one.
 * ------------------------------------------------------------------------------------------- */

static float *address(JNIEnv *env, jobject buffer) {
    return buffer ? (float *) (*env)->GetDirectBufferAddress(env, buffer) : NULL;
}

JNIEXPORT jlong JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_scan(
        JNIEnv *env, jclass cls, jobject weights, jint n, jint lo, jint hi, jintArray window, jint offset) {
    (void) cls;
    const float *w = address(env, weights);
    if (!w) {
        return -1;
    }
    jsize length = (*env)->GetArrayLength(env, window);
    int64_t capacity = offset < length ? (int64_t) length - offset : 0;
    int32_t *out = NULL;
    if (capacity > 0) {
        out = (*env)->GetPrimitiveArrayCritical(env, window, NULL);
        if (!out) {
            return -1;
        }
    }
    scan_result r = scan(w, n, lo, hi, out ? out + offset : NULL, capacity);
    if (out) {
        (*env)->ReleasePrimitiveArrayCritical(env, window, out, 0);
    }
    return (jlong) ((r.below << 32) | (r.gathered & 0xffffffffLL));
}

JNIEXPORT jlong JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_project(
        JNIEnv *env, jclass cls, jobject weights, jobject state0, jobject state1, jint n, jint threshold,
        jlong ties, jlongArray kept) {
    (void) cls;
    float *w = address(env, weights);
    float *s0 = address(env, state0);
    float *s1 = address(env, state1);
    if (!w || (state0 && !s0) || (state1 && !s1)) {
        return -1;
    }
    uint64_t *bits = (*env)->GetPrimitiveArrayCritical(env, kept, NULL);
    if (!bits) {
        return -1;
    }
    int64_t left = project(w, s0, s1, n, threshold, ties, bits);
    (*env)->ReleasePrimitiveArrayCritical(env, kept, bits, 0);
    return (jlong) left;
}

JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_account(
        JNIEnv *env, jclass cls, jlongArray kept, jlongArray old, jlongArray ever, jint n, jobject maskOut,
        jlongArray counts) {
    (void) cls;
    float *mask = address(env, maskOut);
    if (maskOut && !mask) {
        return -1;
    }
    int64_t sums[4] = {0, 0, 0, 0};
    uint64_t *k = (*env)->GetPrimitiveArrayCritical(env, kept, NULL);
    uint64_t *o = (*env)->GetPrimitiveArrayCritical(env, old, NULL);
    uint64_t *e = (*env)->GetPrimitiveArrayCritical(env, ever, NULL);
    jint rc = -1;
    if (k && o && e) {
        account(k, o, e, n, mask, sums);
        rc = 0;
    }
    if (e) {
        (*env)->ReleasePrimitiveArrayCritical(env, ever, e, 0);
    }
    if (o) {
        (*env)->ReleasePrimitiveArrayCritical(env, old, o, JNI_ABORT);
    }
    if (k) {
        (*env)->ReleasePrimitiveArrayCritical(env, kept, k, JNI_ABORT);
    }
    if (rc == 0) {
        jlong *c = (*env)->GetPrimitiveArrayCritical(env, counts, NULL);
        if (!c) {
            return -1;
        }
        for (int i = 0; i < 4; i++) {
            c[i] += sums[i];
        }
        (*env)->ReleasePrimitiveArrayCritical(env, counts, c, 0);
    }
    return rc;
}

JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_writeMask(
        JNIEnv *env, jclass cls, jlongArray kept, jint n, jobject maskOut) {
    (void) cls;
    float *mask = address(env, maskOut);
    if (!mask) {
        return -1;
    }
    uint64_t *k = (*env)->GetPrimitiveArrayCritical(env, kept, NULL);
    if (!k) {
        return -1;
    }
    write_mask(k, n, mask);
    (*env)->ReleasePrimitiveArrayCritical(env, kept, k, JNI_ABORT);
    return 0;
}

JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_spmm(
        JNIEnv *env, jclass cls, jintArray rowStart, jintArray columns, jfloatArray values, jfloatArray bias,
        jfloatArray xp, jfloatArray yp, jint inputs, jint outputs, jint tiles, jint width, jboolean relu) {
    (void) cls;
    /* critical sections nest; no other JNI call runs until all are released */
    int32_t *rs = (*env)->GetPrimitiveArrayCritical(env, rowStart, NULL);
    int32_t *cs = rs ? (*env)->GetPrimitiveArrayCritical(env, columns, NULL) : NULL;
    float *vs = cs ? (*env)->GetPrimitiveArrayCritical(env, values, NULL) : NULL;
    float *bs = vs ? (*env)->GetPrimitiveArrayCritical(env, bias, NULL) : NULL;
    float *x = bs ? (*env)->GetPrimitiveArrayCritical(env, xp, NULL) : NULL;
    float *y = x ? (*env)->GetPrimitiveArrayCritical(env, yp, NULL) : NULL;
    if (y) {
        if (width == 32) {
            spmm32(rs, cs, vs, bs, x, y, inputs, outputs, tiles, relu == JNI_TRUE);
        } else {
            spmm16(rs, cs, vs, bs, x, y, inputs, outputs, tiles, relu == JNI_TRUE);
        }
        (*env)->ReleasePrimitiveArrayCritical(env, yp, y, 0);
    }
    if (x) {
        (*env)->ReleasePrimitiveArrayCritical(env, xp, x, JNI_ABORT);
    }
    if (bs) {
        (*env)->ReleasePrimitiveArrayCritical(env, bias, bs, JNI_ABORT);
    }
    if (vs) {
        (*env)->ReleasePrimitiveArrayCritical(env, values, vs, JNI_ABORT);
    }
    if (cs) {
        (*env)->ReleasePrimitiveArrayCritical(env, columns, cs, JNI_ABORT);
    }
    if (rs) {
        (*env)->ReleasePrimitiveArrayCritical(env, rowStart, rs, JNI_ABORT);
    }
    return y ? 0 : -1;
}

JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_gemm(
        JNIEnv *env, jclass cls, jfloatArray weights, jfloatArray bias, jfloatArray xp, jfloatArray yp, jint inputs,
        jint outputs, jint tiles, jint width, jboolean relu) {
    (void) cls;
    float *ws = (*env)->GetPrimitiveArrayCritical(env, weights, NULL);
    float *bs = ws ? (*env)->GetPrimitiveArrayCritical(env, bias, NULL) : NULL;
    float *x = bs ? (*env)->GetPrimitiveArrayCritical(env, xp, NULL) : NULL;
    float *y = x ? (*env)->GetPrimitiveArrayCritical(env, yp, NULL) : NULL;
    if (y) {
        if (width == 32) {
            gemm32(ws, bs, x, y, inputs, outputs, tiles, relu == JNI_TRUE);
        } else {
            gemm16(ws, bs, x, y, inputs, outputs, tiles, relu == JNI_TRUE);
        }
        (*env)->ReleasePrimitiveArrayCritical(env, yp, y, 0);
    }
    if (x) {
        (*env)->ReleasePrimitiveArrayCritical(env, xp, x, JNI_ABORT);
    }
    if (bs) {
        (*env)->ReleasePrimitiveArrayCritical(env, bias, bs, JNI_ABORT);
    }
    if (ws) {
        (*env)->ReleasePrimitiveArrayCritical(env, weights, ws, JNI_ABORT);
    }
    return y ? 0 : -1;
}

JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_sddmm(
        JNIEnv *env, jclass cls, jintArray rowStart, jintArray columns, jfloatArray dzp, jfloatArray ap,
        jfloatArray grad, jint inputs, jint outputs, jint tiles, jint width) {
    (void) cls;
    int32_t *rs = (*env)->GetPrimitiveArrayCritical(env, rowStart, NULL);
    int32_t *cs = rs ? (*env)->GetPrimitiveArrayCritical(env, columns, NULL) : NULL;
    float *dz = cs ? (*env)->GetPrimitiveArrayCritical(env, dzp, NULL) : NULL;
    float *a = dz ? (*env)->GetPrimitiveArrayCritical(env, ap, NULL) : NULL;
    float *g = a ? (*env)->GetPrimitiveArrayCritical(env, grad, NULL) : NULL;
    if (g) {
        if (width == 32) {
            sddmm32(rs, cs, dz, a, g, inputs, outputs, tiles);
        } else {
            sddmm16(rs, cs, dz, a, g, inputs, outputs, tiles);
        }
        (*env)->ReleasePrimitiveArrayCritical(env, grad, g, 0);
    }
    if (a) {
        (*env)->ReleasePrimitiveArrayCritical(env, ap, a, JNI_ABORT);
    }
    if (dz) {
        (*env)->ReleasePrimitiveArrayCritical(env, dzp, dz, JNI_ABORT);
    }
    if (cs) {
        (*env)->ReleasePrimitiveArrayCritical(env, columns, cs, JNI_ABORT);
    }
    if (rs) {
        (*env)->ReleasePrimitiveArrayCritical(env, rowStart, rs, JNI_ABORT);
    }
    return g ? 0 : -1;
}

/* pack (toPanel) or unpack: the batch between rows and tiles */
JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_repack(
        JNIEnv *env, jclass cls, jfloatArray from, jfloatArray to, jint rows, jint cols, jint width, jboolean toPanel) {
    (void) cls;
    float *in = (*env)->GetPrimitiveArrayCritical(env, from, NULL);
    float *out = in ? (*env)->GetPrimitiveArrayCritical(env, to, NULL) : NULL;
    if (out) {
        if (toPanel == JNI_TRUE) {
            pack(in, rows, cols, width, out);
        } else {
            unpack(in, rows, cols, width, out);
        }
        (*env)->ReleasePrimitiveArrayCritical(env, to, out, 0);
    }
    if (in) {
        (*env)->ReleasePrimitiveArrayCritical(env, from, in, JNI_ABORT);
    }
    return out ? 0 : -1;
}

JNIEXPORT jfloat JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_sumSquares(
        JNIEnv *env, jclass cls, jfloatArray values, jint n) {
    (void) cls;
    float *a = (*env)->GetPrimitiveArrayCritical(env, values, NULL);
    if (!a) {
        return -1;
    }
    float total = sum_squares(a, n);
    (*env)->ReleasePrimitiveArrayCritical(env, values, a, JNI_ABORT);
    return total;
}

/* pack rows that live in a direct buffer (a batch staged for the engine) straight into tiles */
JNIEXPORT jint JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_packDirect(
        JNIEnv *env, jclass cls, jobject from, jfloatArray to, jint rows, jint cols, jint width) {
    (void) cls;
    const float *in = address(env, from);
    if (!in) {
        return -1;
    }
    float *out = (*env)->GetPrimitiveArrayCritical(env, to, NULL);
    if (!out) {
        return -1;
    }
    pack(in, rows, cols, width, out);
    (*env)->ReleasePrimitiveArrayCritical(env, to, out, 0);
    return 0;
}

JNIEXPORT jfloat JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_fmaPeak(
        JNIEnv *env, jclass cls, jlong steps) {
    (void) env;
    (void) cls;
    return fma_peak(steps);
}

JNIEXPORT jstring JNICALL Java_org_cyclicalpruning_modelops_mask_select_NativeMaskKernels_instructionSet0(
        JNIEnv *env, jclass cls) {
    (void) cls;
#ifdef HAVE_X86
    if (__builtin_cpu_supports("avx512f")) {
        return (*env)->NewStringUTF(env, "avx512f");
    }
    if (__builtin_cpu_supports("avx2")) {
        return (*env)->NewStringUTF(env, "avx2");
    }
#endif
    return (*env)->NewStringUTF(env, "portable");
}
