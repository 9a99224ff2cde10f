/* vmft's bundled bare-metal demo: prints a banner, the first primes and an ASCII Mandelbrot set
 * (fixed-point integer arithmetic), then powers the machine off through the syscon. */
#include "test.h"

static void print_primes(int count)
{
    puts_("The first ");
    print_dec((uint64_t)count);
    puts_(" primes:");
    int found = 0;
    for (uint64_t n = 2; found < count; n++) {
        int prime = 1;
        for (uint64_t d = 2; d * d <= n; d++)
            if (n % d == 0) {
                prime = 0;
                break;
            }
        if (prime) {
            puts_(found % 10 ? " " : "\n  ");
            print_dec(n);
            found++;
        }
    }
    puts_("\n\n");
}

/* Mandelbrot set over [-2.2, 1.0] x [-1.2, 1.2] in 16.16 fixed point. */
static void print_mandelbrot(void)
{
    const char *shades = " .:-=+*#%";
    const int64_t one = 1 << 16;
    for (int row = 0; row < 24; row++) {
        int64_t ci = -(one * 12 / 10) + row * (one * 24 / 10) / 23;
        puts_("  ");
        for (int col = 0; col < 72; col++) {
            int64_t cr = -(one * 22 / 10) + col * (one * 32 / 10) / 71;
            int64_t zr = 0, zi = 0;
            int iter = 0;
            while (iter < 60) {
                int64_t zr2 = (zr * zr) >> 16, zi2 = (zi * zi) >> 16;
                if (zr2 + zi2 > 4 * one)
                    break;
                zi = ((2 * zr * zi) >> 16) + ci;
                zr = zr2 - zi2 + cr;
                iter++;
            }
            uart_putc(iter == 60 ? '@' : shades[iter > 8 ? 8 : iter]);
        }
        uart_putc('\n');
    }
}

int main(void)
{
    puts_("\n  vmft: a fault-tolerant RISC-V RV64GC virtual machine\n");
    puts_("  bare-metal demo, running in M-mode on the virt board\n\n");
    print_primes(40);
    print_mandelbrot();
    puts_("\n  powering off\n");
    test_exit(0);
}
