typedef unsigned long u64;
#include "ops.h"
enum {
#define X(n,m,k) n,
OPS
#undef X
};
static const char *names[] = {
#define X(n,m,k) #n,
OPS
#undef X
};
#define UART ((volatile unsigned char *)0x10000000)
static void puts_(const char *s) { while (*s) *UART = *s++; }
static void hex(u64 v) { puts_("0x"); for (int i = 60; i >= 0; i -= 4) *UART = "0123456789ABCDEF"[(v >> i) & 15]; }
static void dec(u64 v) { char b[24]; int n = 0; do { b[n++] = '0' + v % 10; v /= 10; } while (v); while (n) *UART = b[--n]; }

#define LOAD "fmv.d.x ft0,%[a]\n fmv.d.x ft1,%[b]\n fmv.d.x ft2,%[c]\n"
#define IN [a] "r"(a), [b] "r"(b), [c] "r"(c)
#define CLOB "ft0","ft1","ft2","ft3"
#define R4(m)  asm volatile(LOAD m " ft3,ft0,ft1,ft2\n fmv.x.d %[r],ft3" : [r] "=r"(r) : IN : CLOB)
#define R2(m)  asm volatile(LOAD m " ft3,ft0,ft1\n fmv.x.d %[r],ft3" : [r] "=r"(r) : IN : CLOB)
#define R1(m)  asm volatile(LOAD m " ft3,ft0\n fmv.x.d %[r],ft3" : [r] "=r"(r) : IN : CLOB)
#define TOI(m) asm volatile(LOAD m " %[r],ft0\n" : [r] "=r"(r) : IN : CLOB)
#define TOI0(m) TOI(m)
#define CMP(m) asm volatile(LOAD m " %[r],ft0,ft1\n" : [r] "=r"(r) : IN : CLOB)
#define FROMI(m) asm volatile(m " ft3,%[a]\n fmv.x.d %[r],ft3" : [r] "=r"(r) : IN : CLOB)
#define FROMI0(m) FROMI(m)

static u64 run(int op, u64 rm, u64 a, u64 b, u64 c, u64 *flags) {
    u64 r = 0;
    asm volatile("csrw frm, %0\n csrw fflags, zero" :: "r"(rm));
    switch (op) {
#define X(n,m,k) case n: k(m); break;
OPS
#undef X
    }
    asm volatile("csrr %0, fflags" : "=r"(*flags));
    return r;
}

struct v { int op; u64 rm, a, b, c; };
#define BX 0xFFFFFFFF00000000ul
#include "vectors.h"

int main(void) {
    for (unsigned i = 0; i < sizeof(vecs) / sizeof(vecs[0]); i++) {
        const struct v *t = &vecs[i];
        if (t->op < 0) { puts_("// "); puts_((const char *)t->a); puts_("\n"); continue; }
        u64 fl, r = run(t->op, t->rm, t->a, t->b, t->c, &fl);
        puts_("(");  puts_(names[t->op]); puts_(", "); dec(t->rm); puts_(", ");
        hex(t->a); puts_(", "); hex(t->b); puts_(", "); hex(t->c); puts_(", "); hex(r); puts_(", "); dec(fl); puts_("),\n");
    }
    return 0;
}
