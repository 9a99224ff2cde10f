/* CPU-bound bare-metal benchmark: about one billion RV64GC instructions of integer arithmetic,
 * a sieve, CRC32, matrix multiplies, memory copies and a sort. Each kernel prints a checksum so
 * that two emulators are shown to compute the same thing; the run ends through the syscon. */
#include "test.h"

#define ROUNDS 7

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

/* Integer arithmetic: multiply, divide, remainder, shifts and 32-bit ops. */
static uint64_t kernel_arith(void)
{
    uint64_t a = 1, b = 3, acc = 0;
    for (uint64_t i = 1; i <= 3000000; i++) {
        a = a * 6364136223846793005ULL + 1442695040888963407ULL;
        b ^= (a >> 17) + i;
        acc += a / (b | 1) + a % (i + 7);
        acc ^= (uint64_t)(int64_t)((int32_t)acc * (int32_t)b) >> 3;
    }
    return acc;
}

#define SIEVE_N 2000000
static uint8_t sieve[SIEVE_N];

/* Sieve of Eratosthenes: the number of primes below SIEVE_N and their sum. */
static uint64_t kernel_sieve(void)
{
    for (uint64_t i = 0; i < SIEVE_N; i++)
        sieve[i] = 1;
    sieve[0] = sieve[1] = 0;
    for (uint64_t i = 2; i * i < SIEVE_N; i++)
        if (sieve[i])
            for (uint64_t j = i * i; j < SIEVE_N; j += i)
                sieve[j] = 0;
    uint64_t count = 0, sum = 0;
    for (uint64_t i = 0; i < SIEVE_N; i++)
        if (sieve[i]) {
            count++;
            sum += i;
        }
    return count * 1000003 + sum;
}

#define BUF_LEN 65536
static uint8_t buf_a[BUF_LEN], buf_b[BUF_LEN];

/* Bitwise CRC-32 (IEEE 802.3, reflected) of a pseudo-random buffer. */
static uint64_t kernel_crc32(void)
{
    for (uint64_t i = 0; i < BUF_LEN; i++)
        buf_a[i] = (uint8_t)rng();
    uint32_t crc = 0xffffffffu;
    for (int pass = 0; pass < 4; pass++)
        for (uint64_t i = 0; i < BUF_LEN; i++) {
            crc ^= buf_a[i];
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
        }
    return crc ^ 0xffffffffu;
}

#define MAT_N 48
static int64_t ma[MAT_N][MAT_N], mb[MAT_N][MAT_N], mc[MAT_N][MAT_N];
static double da[MAT_N][MAT_N], db[MAT_N][MAT_N], dc[MAT_N][MAT_N];

/* Integer and double-precision matrix multiplies. */
static uint64_t kernel_matmul(void)
{
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            ma[i][j] = (int64_t)(rng() % 201) - 100;
            mb[i][j] = (int64_t)(rng() % 201) - 100;
            da[i][j] = (double)ma[i][j] / 8.0;
            db[i][j] = (double)mb[i][j] / 16.0;
        }
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++) {
            int64_t s = 0;
            double d = 0.0;
            for (int k = 0; k < MAT_N; k++) {
                s += ma[i][k] * mb[k][j];
                d += da[i][k] * db[k][j];
            }
            mc[i][j] = s;
            dc[i][j] = d;
        }
    uint64_t sum = 0;
    for (int i = 0; i < MAT_N; i++)
        for (int j = 0; j < MAT_N; j++)
            sum = sum * 31 + (uint64_t)mc[i][j] + (uint64_t)(int64_t)(dc[i][j] * 128.0);
    return sum;
}

/* Byte, word and doubleword copies with overlapping offsets. */
static uint64_t kernel_memcpy(void)
{
    uint64_t sum = 0;
    for (int pass = 0; pass < 6; pass++) {
        for (uint64_t i = 0; i < BUF_LEN; i++)
            buf_b[i] = buf_a[(i * 7 + (uint64_t)pass) % BUF_LEN];
        uint64_t *d = (uint64_t *)buf_a;
        const uint64_t *s = (const uint64_t *)buf_b;
        for (uint64_t i = 0; i < BUF_LEN / 8; i++)
            d[i] = s[i] ^ (d[i] >> 1);
        uint32_t *w = (uint32_t *)buf_b;
        for (uint64_t i = 1; i < BUF_LEN / 4; i++)
            w[i] += w[i - 1];
        sum += w[BUF_LEN / 4 - 1] + d[pass];
    }
    return sum;
}

#define SORT_N 40000
static uint32_t sort_buf[SORT_N];

static void sift_down(uint32_t *a, uint64_t start, uint64_t end)
{
    uint64_t root = start;
    while (2 * root + 1 < end) {
        uint64_t child = 2 * root + 1;
        if (child + 1 < end && a[child] < a[child + 1])
            child++;
        if (a[root] >= a[child])
            return;
        uint32_t t = a[root];
        a[root] = a[child];
        a[child] = t;
        root = child;
    }
}

/* Heap sort of pseudo-random words; checksum over the sorted order. */
static uint64_t kernel_sort(void)
{
    for (uint64_t i = 0; i < SORT_N; i++)
        sort_buf[i] = (uint32_t)rng();
    for (uint64_t i = SORT_N / 2; i-- > 0;)
        sift_down(sort_buf, i, SORT_N);
    for (uint64_t end = SORT_N - 1; end > 0; end--) {
        uint32_t t = sort_buf[0];
        sort_buf[0] = sort_buf[end];
        sort_buf[end] = t;
        sift_down(sort_buf, 0, end);
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < SORT_N; i++) {
        if (i && sort_buf[i - 1] > sort_buf[i])
            return 0;
        sum = sum * 3 + sort_buf[i];
    }
    return sum;
}

static void report(const char *name, uint64_t value)
{
    puts_(name);
    puts_(" ");
    print_hex(value);
    puts_("\n");
}

int main(void)
{
    uint64_t sums[6] = {0};
    for (int round = 0; round < ROUNDS; round++) {
        sums[0] += kernel_arith();
        sums[1] += kernel_sieve();
        sums[2] += kernel_crc32();
        sums[3] += kernel_matmul();
        sums[4] += kernel_memcpy();
        sums[5] += kernel_sort();
    }
    report("arith", sums[0]);
    report("sieve", sums[1]);
    report("crc32", sums[2]);
    report("matmul", sums[3]);
    report("memcpy", sums[4]);
    report("sort", sums[5]);
    uint64_t total = 0;
    for (int i = 0; i < 6; i++)
        total = total * 0x100000001b3ULL ^ sums[i];
    puts_("checksum ");
    print_hex(total);
    puts_("\n");
    test_exit(0);
}
