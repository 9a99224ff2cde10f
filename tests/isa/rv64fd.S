/* RV64F and RV64D: static and dynamic rounding modes, fflags for every exception kind,
 * canonical NaNs, NaN-boxing, fmin/fmax signed zeros and signalling NaNs, fcvt saturation,
 * fclass of all ten classes, the fused multiply-add family and the sign-injection family. */
#include "test.h"

/* Double inputs a, b, c in f1, f2, f3; `code` writes f4; checks f4's bits and fflags. */
#define FP_D(n, result, flags, a, b, c, code...) \
    TEST_CASE(n, x14, result, li x11, a; fmv.d.x f1, x11; li x11, b; fmv.d.x f2, x11; \
              li x11, c; fmv.d.x f3, x11; fsflags x0; code; fmv.x.d x14, f4); \
    frflags x15; CHECK_REG x15, flags

/* Single inputs (NaN-boxed by fmv.w.x); checks the low 32 bits of f4 and fflags. */
#define FP_S(n, result, flags, a, b, c, code...) \
    TEST_CASE(n, x14, result, li x11, a; fmv.w.x f1, x11; li x11, b; fmv.w.x f2, x11; \
              li x11, c; fmv.w.x f3, x11; fsflags x0; code; fmv.x.w x14, f4; \
              slli x14, x14, 32; srli x14, x14, 32); \
    frflags x15; CHECK_REG x15, flags

/* Double input a in f1 (b in f2); `code` writes x14; checks x14 and fflags. */
#define FP_DX(n, result, flags, a, b, code...) \
    TEST_CASE(n, x14, result, li x11, a; fmv.d.x f1, x11; li x11, b; fmv.d.x f2, x11; \
              fsflags x0; code); \
    frflags x15; CHECK_REG x15, flags

#define FP_SX(n, result, flags, a, b, code...) \
    TEST_CASE(n, x14, result, li x11, a; fmv.w.x f1, x11; li x11, b; fmv.w.x f2, x11; \
              fsflags x0; code); \
    frflags x15; CHECK_REG x15, flags

#define ONE_S 0x3f800000
#define THREE_S 0x40400000
#define ONE_D 0x3ff0000000000000
#define TWO_D 0x4000000000000000
#define THREE_D 0x4008000000000000
#define QNAN_D 0x7ff8000000000000
#define QNAN_S 0x7fc00000
#define SNAN_D 0x7ff4000000000000
#define SNAN_S 0x7fa00000
#define PINF_D 0x7ff0000000000000
#define NINF_D 0xfff0000000000000

TEST_BEGIN
    /* Static rounding modes on an inexact quotient (1/3 and -1/3, single). */
    FP_S(1, 0x3eaaaaab, 0x01, ONE_S, THREE_S, 0, fdiv.s f4, f1, f2, rne)
    FP_S(2, 0x3eaaaaaa, 0x01, ONE_S, THREE_S, 0, fdiv.s f4, f1, f2, rtz)
    FP_S(3, 0x3eaaaaaa, 0x01, ONE_S, THREE_S, 0, fdiv.s f4, f1, f2, rdn)
    FP_S(4, 0x3eaaaaab, 0x01, ONE_S, THREE_S, 0, fdiv.s f4, f1, f2, rup)
    FP_S(5, 0x3eaaaaab, 0x01, ONE_S, THREE_S, 0, fdiv.s f4, f1, f2, rmm)
    FP_S(6, 0xbeaaaaab, 0x01, 0xbf800000, THREE_S, 0, fdiv.s f4, f1, f2, rne)
    FP_S(7, 0xbeaaaaaa, 0x01, 0xbf800000, THREE_S, 0, fdiv.s f4, f1, f2, rtz)
    FP_S(8, 0xbeaaaaab, 0x01, 0xbf800000, THREE_S, 0, fdiv.s f4, f1, f2, rdn)
    FP_S(9, 0xbeaaaaaa, 0x01, 0xbf800000, THREE_S, 0, fdiv.s f4, f1, f2, rup)
    FP_S(10, 0xbeaaaaab, 0x01, 0xbf800000, THREE_S, 0, fdiv.s f4, f1, f2, rmm)
    /* Exact ties: 1 + 2^-24 (single) and 1 + 2^-53 (double). */
    FP_S(11, 0x3f800000, 0x01, ONE_S, 0x33800000, 0, fadd.s f4, f1, f2, rne)
    FP_S(12, 0x3f800001, 0x01, ONE_S, 0x33800000, 0, fadd.s f4, f1, f2, rmm)
    FP_S(13, 0x3f800001, 0x01, ONE_S, 0x33800000, 0, fadd.s f4, f1, f2, rup)
    FP_S(14, 0x3f800000, 0x01, ONE_S, 0x33800000, 0, fadd.s f4, f1, f2, rdn)
    FP_D(15, 0x3ff0000000000000, 0x01, ONE_D, 0x3ca0000000000000, 0, fadd.d f4, f1, f2, rne)
    FP_D(16, 0x3ff0000000000001, 0x01, ONE_D, 0x3ca0000000000000, 0, fadd.d f4, f1, f2, rmm)
    FP_D(17, 0x3ff0000000000001, 0x01, ONE_D, 0x3ca0000000000000, 0, fadd.d f4, f1, f2, rup)
    FP_D(18, 0x3ff0000000000000, 0x01, ONE_D, 0x3ca0000000000000, 0, fadd.d f4, f1, f2, rtz)
    FP_D(19, 0x3fd5555555555555, 0x01, ONE_D, THREE_D, 0, fdiv.d f4, f1, f2, rne)
    FP_D(20, 0x3fd5555555555556, 0x01, ONE_D, THREE_D, 0, fdiv.d f4, f1, f2, rup)
    /* fcvt.w.d of +-2.5 in all five modes. */
    FP_DX(21, 2, 0x01, 0x4004000000000000, 0, fcvt.w.d x14, f1, rne)
    FP_DX(22, 2, 0x01, 0x4004000000000000, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(23, 2, 0x01, 0x4004000000000000, 0, fcvt.w.d x14, f1, rdn)
    FP_DX(24, 3, 0x01, 0x4004000000000000, 0, fcvt.w.d x14, f1, rup)
    FP_DX(25, 3, 0x01, 0x4004000000000000, 0, fcvt.w.d x14, f1, rmm)
    FP_DX(26, -2, 0x01, 0xc004000000000000, 0, fcvt.w.d x14, f1, rne)
    FP_DX(27, -2, 0x01, 0xc004000000000000, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(28, -3, 0x01, 0xc004000000000000, 0, fcvt.w.d x14, f1, rdn)
    FP_DX(29, -2, 0x01, 0xc004000000000000, 0, fcvt.w.d x14, f1, rup)
    FP_DX(30, -3, 0x01, 0xc004000000000000, 0, fcvt.w.d x14, f1, rmm)
    /* Integer to float conversions round too: 2^24 + 1 is not a single. */
    TEST_CASE(31, x14, 0x4b800000, li x11, 16777217; fcvt.s.w f4, x11, rne; fmv.x.w x14, f4)
    TEST_CASE(32, x14, 0x4b800001, li x11, 16777217; fcvt.s.w f4, x11, rup; fmv.x.w x14, f4)
    TEST_CASE(33, x14, 0x4b800000, li x11, 16777217; fcvt.s.l f4, x11, rtz; fmv.x.w x14, f4)
    GROUP "rv64fd static rounding modes"

    /* Dynamic rounding mode from frm. */
    FP_S(34, 0x3eaaaaaa, 0x01, ONE_S, THREE_S, 0, fsrmi 1; fdiv.s f4, f1, f2, dyn)
    FP_S(35, 0xbeaaaaab, 0x01, 0xbf800000, THREE_S, 0, fsrmi 2; fdiv.s f4, f1, f2, dyn)
    FP_S(36, 0xbeaaaaaa, 0x01, 0xbf800000, THREE_S, 0, fsrmi 3; fdiv.s f4, f1, f2, dyn)
    FP_D(37, 0x3ff0000000000001, 0x01, ONE_D, 0x3ca0000000000000, 0, fsrmi 4; fadd.d f4, f1, f2, dyn)
    FP_D(38, 0x3ff0000000000000, 0x01, ONE_D, 0x3ca0000000000000, 0, fsrmi 0; fadd.d f4, f1, f2, dyn)
    FP_DX(39, 3, 0x01, 0x4004000000000000, 0, fsrmi 3; fcvt.l.d x14, f1, dyn; fsrmi 0)
    GROUP "rv64fd dynamic rounding mode"

    /* Each exception flag. */
    FP_D(40, QNAN_D, 0x10, 0xbff0000000000000, 0, 0, fsqrt.d f4, f1)
    FP_D(41, PINF_D, 0x08, ONE_D, 0, 0, fdiv.d f4, f1, f2)
    FP_D(42, NINF_D, 0x08, 0xbff0000000000000, 0, 0, fdiv.d f4, f1, f2)
    FP_D(43, PINF_D, 0x05, 0x7fefffffffffffff, TWO_D, 0, fmul.d f4, f1, f2)
    FP_D(44, 0x7fefffffffffffff, 0x05, 0x7fefffffffffffff, TWO_D, 0, fmul.d f4, f1, f2, rtz)
    FP_D(45, 0, 0x03, 0x0010000000000000, 0x0010000000000000, 0, fmul.d f4, f1, f2)
    FP_D(46, 0x0008000000000000, 0x00, 0x0010000000000000, 0x3fe0000000000000, 0, fmul.d f4, f1, f2)
    FP_S(47, 0x7f800000, 0x05, 0x7f7fffff, 0x40000000, 0, fadd.s f4, f1, f1)
    FP_S(48, 0x00000000, 0x03, 0x00800000, 0x00800000, 0, fmul.s f4, f1, f2)
    FP_S(49, 0x7f800000, 0x08, ONE_S, 0, 0, fdiv.s f4, f1, f2)
    /* Flags accrue: a second exception ORs into fflags. */
    FP_D(50, PINF_D, 0x18, ONE_D, 0, 0xbff0000000000000, fsqrt.d f5, f3; fdiv.d f4, f1, f2)
    GROUP "rv64fd exception flags"

    /* Canonical NaN results: invalid operations and NaN inputs. */
    FP_D(51, QNAN_D, 0x10, PINF_D, PINF_D, 0, fsub.d f4, f1, f2)
    FP_D(52, QNAN_D, 0x10, PINF_D, 0, 0, fmul.d f4, f1, f2)
    FP_D(53, QNAN_D, 0x10, 0, 0, 0, fdiv.d f4, f1, f2)
    FP_D(54, QNAN_D, 0x00, 0x7ff8000000000123, ONE_D, 0, fadd.d f4, f1, f2)
    FP_D(55, QNAN_D, 0x00, 0xfff8000000000123, ONE_D, 0, fmul.d f4, f2, f1)
    FP_D(56, QNAN_D, 0x10, SNAN_D, ONE_D, 0, fadd.d f4, f1, f2)
    FP_S(57, QNAN_S, 0x10, SNAN_S, ONE_S, 0, fadd.s f4, f1, f2)
    FP_S(58, QNAN_S, 0x00, 0xffc00123, ONE_S, 0, fsub.s f4, f1, f2)
    FP_S(59, QNAN_S, 0x10, 0xbf800000, 0, 0, fsqrt.s f4, f1)
    FP_D(60, QNAN_D, 0x10, SNAN_D, 0, 0, fcvt.d.s f4, f4; fcvt.s.d f4, f1; fcvt.d.s f4, f4)
    FP_S(61, QNAN_S, 0x10, SNAN_S, 0, 0, fcvt.d.s f4, f1; fcvt.s.d f4, f4)
    FP_D(62, 0x3fd5555560000000, 0x00, 0, 0, 0, li x11, 0x3eaaaaab; fmv.w.x f1, x11; fcvt.d.s f4, f1)
    FP_S(63, 0x3eaaaaab, 0x01, 0, 0, 0, li x11, 0x3fd5555555555555; fmv.d.x f1, x11; fcvt.s.d f4, f1)
    GROUP "rv64fd canonical NaNs"

    /* NaN-boxing: single loads and ops box with ones; unboxed singles read as canonical NaN. */
    TEST_CASE(64, x14, 0xffffffff3f800000, la x11, fdata; flw f1, 0(x11); fmv.x.d x14, f1)
    TEST_CASE(65, x14, 0xffffffff40400000, li x11, THREE_S; fmv.w.x f1, x11; fmv.x.d x14, f1)
    TEST_CASE(66, x14, 0xffffffff40000000, li x11, ONE_S; fmv.w.x f1, x11; fadd.s f2, f1, f1; fmv.x.d x14, f2)
    FP_S(67, QNAN_S, 0x00, 0, 0, 0, li x11, 0x000000003f800000; fmv.d.x f1, x11; fadd.s f4, f1, f1)
    FP_S(68, QNAN_S, 0x00, 0, 0, 0, li x11, 0xfffffffe3f800000; fmv.d.x f1, x11; fsgnj.s f4, f1, f1)
    FP_SX(69, 0x200, 0x00, 0, 0, li x11, 0x7fffffff3f800000; fmv.d.x f1, x11; fclass.s x14, f1)
    TEST_CASE(70, x14, 0x3f800000, li x11, 0x000000003f800000; fmv.d.x f1, x11; la x11, fdata + 8; \
              fsw f1, 0(x11); lwu x14, 0(x11))
    TEST_CASE(71, x14, 0x000000003f800000, li x11, 0x000000003f800000; fmv.d.x f1, x11; fmv.x.w x14, f1)
    TEST_CASE(72, x14, 0xffffffffbf800000, li x11, 0xbf800000; fmv.w.x f1, x11; fmv.x.w x14, f1)
    FP_SX(73, 0, 0x10, 0, 0, li x11, 0x3f800000; fmv.d.x f1, x11; fmv.w.x f2, x11; feq.s x14, f1, f2; \
          fsflags x0; flt.s x14, f1, f2)
    GROUP "rv64fd NaN-boxing"

    /* fmin/fmax: -0 < +0, a single NaN input yields the other operand, sNaN raises NV. */
    FP_D(74, 0x8000000000000000, 0x00, 0x8000000000000000, 0, 0, fmin.d f4, f1, f2)
    FP_D(75, 0x8000000000000000, 0x00, 0, 0x8000000000000000, 0, fmin.d f4, f1, f2)
    FP_D(76, 0x0000000000000000, 0x00, 0x8000000000000000, 0, 0, fmax.d f4, f1, f2)
    FP_D(77, 0x0000000000000000, 0x00, 0, 0x8000000000000000, 0, fmax.d f4, f1, f2)
    FP_D(78, ONE_D, 0x00, QNAN_D, ONE_D, 0, fmin.d f4, f1, f2)
    FP_D(79, ONE_D, 0x10, SNAN_D, ONE_D, 0, fmax.d f4, f1, f2)
    FP_D(80, ONE_D, 0x10, ONE_D, SNAN_D, 0, fmin.d f4, f1, f2)
    FP_D(81, QNAN_D, 0x00, 0x7ff8000000000123, 0xfff8000000000456, 0, fmin.d f4, f1, f2)
    FP_D(82, QNAN_D, 0x10, SNAN_D, SNAN_D, 0, fmax.d f4, f1, f2)
    FP_S(83, 0x80000000, 0x00, 0x80000000, 0, 0, fmin.s f4, f2, f1)
    FP_S(84, 0x00000000, 0x00, 0x80000000, 0, 0, fmax.s f4, f1, f2)
    FP_S(85, ONE_S, 0x10, SNAN_S, ONE_S, 0, fmin.s f4, f1, f2)
    FP_S(86, QNAN_S, 0x10, SNAN_S, QNAN_S, 0, fmax.s f4, f1, f2)
    GROUP "rv64fd fmin/fmax"

    /* Comparisons: quiet (feq) vs signalling (flt/fle) on NaNs; -0 == +0. */
    FP_DX(87, 0, 0x00, QNAN_D, ONE_D, feq.d x14, f1, f2)
    FP_DX(88, 0, 0x10, SNAN_D, ONE_D, feq.d x14, f1, f2)
    FP_DX(89, 0, 0x10, QNAN_D, ONE_D, flt.d x14, f1, f2)
    FP_DX(90, 0, 0x10, ONE_D, QNAN_D, fle.d x14, f1, f2)
    FP_DX(91, 1, 0x00, 0x8000000000000000, 0, feq.d x14, f1, f2)
    FP_DX(92, 0, 0x00, 0x8000000000000000, 0, flt.d x14, f1, f2)
    FP_DX(93, 1, 0x00, 0x8000000000000000, 0, fle.d x14, f1, f2)
    FP_DX(94, 1, 0x00, NINF_D, ONE_D, flt.d x14, f1, f2)
    FP_SX(95, 1, 0x00, 0xbf800000, ONE_S, flt.s x14, f1, f2)
    GROUP "rv64fd comparisons"

    /* fcvt to integers saturates: NaN and +inf to the maximum, -inf to the minimum. */
    FP_DX(96, 0x000000007fffffff, 0x10, QNAN_D, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(97, 0x000000007fffffff, 0x10, PINF_D, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(98, 0xffffffff80000000, 0x10, NINF_D, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(99, 0x000000007fffffff, 0x10, 0x41e65a0bc0000000, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(100, 0xffffffff80000000, 0x00, 0xc1e0000000000000, 0, fcvt.w.d x14, f1, rtz)
    FP_DX(101, 0xffffffffffffffff, 0x10, QNAN_D, 0, fcvt.wu.d x14, f1, rtz)
    FP_DX(102, 0, 0x10, 0xbff0000000000000, 0, fcvt.wu.d x14, f1, rtz)
    FP_DX(103, 0, 0x01, 0xbfe0000000000000, 0, fcvt.wu.d x14, f1, rtz)
    FP_DX(104, 0xffffffffffffffff, 0x00, 0x41efffffffe00000, 0, fcvt.wu.d x14, f1, rtz)
    FP_DX(105, 0xffffffffffffffff, 0x10, 0x41f0000000000000, 0, fcvt.wu.d x14, f1, rtz)
    FP_DX(106, 0x7fffffffffffffff, 0x10, QNAN_D, 0, fcvt.l.d x14, f1, rtz)
    FP_DX(107, 0x8000000000000000, 0x10, NINF_D, 0, fcvt.l.d x14, f1, rtz)
    FP_DX(108, 0x8000000000000000, 0x00, 0xc3e0000000000000, 0, fcvt.l.d x14, f1, rtz)
    FP_DX(109, 0x7fffffffffffffff, 0x10, 0x43e0000000000000, 0, fcvt.l.d x14, f1, rtz)
    FP_DX(110, 0xffffffffffffffff, 0x10, 0x43f0000000000000, 0, fcvt.lu.d x14, f1, rtz)
    FP_DX(111, 0, 0x10, NINF_D, 0, fcvt.lu.d x14, f1, rtz)
    FP_DX(112, 0xffffffffffffffff, 0x10, SNAN_D, 0, fcvt.lu.d x14, f1, rtz)
    FP_SX(113, 0x000000007fffffff, 0x10, QNAN_S, 0, fcvt.w.s x14, f1, rtz)
    FP_SX(114, 0xffffffff80000000, 0x10, 0xff800000, 0, fcvt.w.s x14, f1, rtz)
    FP_SX(115, 0, 0x10, 0xbf800000, 0, fcvt.lu.s x14, f1, rtz)
    FP_SX(116, 0x7fffffffffffffff, 0x10, 0x7f800000, 0, fcvt.l.s x14, f1, rtz)
    /* Integer to float: unsigned and signed 64-bit extremes. */
    TEST_CASE(117, x14, 0x43f0000000000000, li x11, -1; fcvt.d.lu f4, x11; fmv.x.d x14, f4)
    TEST_CASE(118, x14, 0xbff0000000000000, li x11, -1; fcvt.d.l f4, x11; fmv.x.d x14, f4)
    TEST_CASE(119, x14, 0x41efffffffe00000, li x11, -1; fcvt.d.wu f4, x11; fmv.x.d x14, f4)
    TEST_CASE(120, x14, 0xc1e0000000000000, li x11, 0x80000000; fcvt.d.w f4, x11; fmv.x.d x14, f4)
    TEST_CASE(121, x14, 0x4f800000, li x11, -1; fcvt.s.wu f4, x11; fmv.x.w x14, f4; slli x14, x14, 32; srli x14, x14, 32)
    GROUP "rv64fd conversions"

    /* fclass: all ten classes. */
    FP_DX(122, 1 << 0, 0, NINF_D, 0, fclass.d x14, f1)
    FP_DX(123, 1 << 1, 0, 0xbff0000000000000, 0, fclass.d x14, f1)
    FP_DX(124, 1 << 2, 0, 0x8000000000000001, 0, fclass.d x14, f1)
    FP_DX(125, 1 << 3, 0, 0x8000000000000000, 0, fclass.d x14, f1)
    FP_DX(126, 1 << 4, 0, 0x0000000000000000, 0, fclass.d x14, f1)
    FP_DX(127, 1 << 5, 0, 0x000fffffffffffff, 0, fclass.d x14, f1)
    FP_DX(128, 1 << 6, 0, 0x7fefffffffffffff, 0, fclass.d x14, f1)
    FP_DX(129, 1 << 7, 0, PINF_D, 0, fclass.d x14, f1)
    FP_DX(130, 1 << 8, 0, SNAN_D, 0, fclass.d x14, f1)
    FP_DX(131, 1 << 9, 0, QNAN_D, 0, fclass.d x14, f1)
    FP_SX(132, 1 << 0, 0, 0xff800000, 0, fclass.s x14, f1)
    FP_SX(133, 1 << 2, 0, 0x807fffff, 0, fclass.s x14, f1)
    FP_SX(134, 1 << 5, 0, 0x00000001, 0, fclass.s x14, f1)
    FP_SX(135, 1 << 8, 0, SNAN_S, 0, fclass.s x14, f1)
    FP_SX(136, 1 << 9, 0, 0xffc00000, 0, fclass.s x14, f1)
    GROUP "rv64fd fclass"

    /* Fused multiply-add family, including NaN inputs and inf * 0 with a quiet NaN addend. */
    FP_D(137, 0x401c000000000000, 0x00, TWO_D, THREE_D, ONE_D, fmadd.d f4, f1, f2, f3)
    FP_D(138, 0x4014000000000000, 0x00, TWO_D, THREE_D, ONE_D, fmsub.d f4, f1, f2, f3)
    FP_D(139, 0xc014000000000000, 0x00, TWO_D, THREE_D, ONE_D, fnmsub.d f4, f1, f2, f3)
    FP_D(140, 0xc01c000000000000, 0x00, TWO_D, THREE_D, ONE_D, fnmadd.d f4, f1, f2, f3)
    FP_D(141, QNAN_D, 0x10, PINF_D, 0, QNAN_D, fmadd.d f4, f1, f2, f3)
    FP_D(142, QNAN_D, 0x00, ONE_D, TWO_D, 0x7ff8000000000123, fmadd.d f4, f1, f2, f3)
    FP_D(143, QNAN_D, 0x10, SNAN_D, ONE_D, ONE_D, fmsub.d f4, f1, f2, f3)
    FP_D(144, QNAN_D, 0x00, QNAN_D, ONE_D, ONE_D, fnmadd.d f4, f1, f2, f3)
    FP_D(145, QNAN_D, 0x10, ONE_D, ONE_D, SNAN_D, fnmsub.d f4, f1, f2, f3)
    FP_D(146, QNAN_D, 0x10, PINF_D, ONE_D, NINF_D, fmadd.d f4, f1, f2, f3)
    /* Fused: (1 + 2^-52) * (1 - 2^-52) - 1 = -2^-104 exactly, no intermediate rounding. */
    FP_D(147, 0xb970000000000000, 0x00, 0x3ff0000000000001, 0x3feffffffffffffe, ONE_D, fmsub.d f4, f1, f2, f3)
    FP_S(148, 0x40e00000, 0x00, 0x40000000, THREE_S, ONE_S, fmadd.s f4, f1, f2, f3)
    FP_S(149, 0xc0a00000, 0x00, 0x40000000, THREE_S, ONE_S, fnmsub.s f4, f1, f2, f3)
    FP_S(150, QNAN_S, 0x10, 0x7f800000, 0, QNAN_S, fmadd.s f4, f1, f2, f3)
    FP_S(151, QNAN_S, 0x00, QNAN_S, ONE_S, ONE_S, fnmsub.s f4, f1, f2, f3)
    GROUP "rv64fd fused multiply-add"

    /* Sign injection: no canonicalisation and no flags, even for signalling NaNs. */
    FP_D(152, 0xbff0000000000000, 0x00, ONE_D, 0x8000000000000000, 0, fsgnj.d f4, f1, f2)
    FP_D(153, 0x3ff0000000000000, 0x00, ONE_D, 0x8000000000000000, 0, fsgnjn.d f4, f1, f2)
    FP_D(154, 0x3ff0000000000000, 0x00, 0xbff0000000000000, 0xc000000000000000, 0, fsgnjx.d f4, f1, f2)
    FP_D(155, 0xfff4000000000000, 0x00, SNAN_D, 0, 0, fneg.d f4, f1)
    FP_D(156, 0x7ff8000000000123, 0x00, 0xfff8000000000123, 0, 0, fabs.d f4, f1)
    FP_D(157, 0x7ff4000000000000, 0x00, SNAN_D, 0, 0, fmv.d f4, f1)
    FP_S(158, 0xffa00000, 0x00, SNAN_S, 0x80000000, 0, fsgnj.s f4, f1, f2)
    FP_S(159, 0x7fa00000, 0x00, SNAN_S, 0x80000000, 0, fsgnjx.s f4, f2, f1; fsgnjx.s f4, f1, f1)
    FP_S(160, 0x80000000, 0x00, 0, 0, 0, fsgnjn.s f4, f1, f1)
    GROUP "rv64fd sign injection"

    /* Loads, stores and moves keep all bits. */
    TEST_CASE(161, x14, 0x0123456789abcdef, la x11, fdata + 16; li x12, 0x0123456789abcdef; sd x12, 0(x11); \
              fld f1, 0(x11); fsd f1, 8(x11); ld x14, 8(x11))
    TEST_CASE(162, x14, 0x7fa00001, la x11, fdata + 16; li x12, 0x7fa00001; sw x12, 0(x11); \
              flw f1, 0(x11); fsw f1, 4(x11); lwu x14, 4(x11))
    TEST_CASE(163, x14, 0x4010000000000000, li x11, 0x4030000000000000; fmv.d.x f1, x11; fsqrt.d f4, f1; fmv.x.d x14, f4)
    GROUP "rv64fd loads and stores"

    /* fcsr = frm << 5 | fflags; writes to fcsr, frm and fflags alias; reserved bits read 0. */
    TEST_CASE(164, x14, 0xe5, li x11, 0xe5; csrw fcsr, x11; csrr x14, fcsr)
    TEST_CASE(165, x14, 7, csrr x14, frm)
    TEST_CASE(166, x14, 5, csrr x14, fflags)
    TEST_CASE(167, x14, 0x4a, csrwi frm, 2; csrwi fflags, 0xa; csrr x14, fcsr)
    TEST_CASE(168, x14, 0xff, li x11, -1; csrw fcsr, x11; csrr x14, fcsr)
    TEST_CASE(169, x14, 0x1f, li x11, -1; csrw fflags, x11; csrr x14, fflags)
    TEST_CASE(170, x14, 0x07, li x11, -1; csrw frm, x11; csrr x14, frm)
    TEST_CASE(171, x14, 0x13, csrw fcsr, zero; csrsi fflags, 0x13; csrr x14, fcsr)
    TEST_CASE(172, x14, 0x11, fsflagsi 0x11; frcsr x14; csrw fcsr, zero)
    GROUP "rv64fd fcsr"

    /* Reserved rounding modes: static 5/6 and dynamic with frm >= 5 are illegal. */
    TEST_CASE(173, x14, 2, EXPECT_TRAP; fsrmi 5; fadd.d f4, f1, f2, dyn; END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(174, x14, 2, EXPECT_TRAP; fsrmi 7; fmul.s f4, f1, f2, dyn; END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(175, x14, 2, EXPECT_TRAP; fsrmi 0; .word 0x0220d253; END_EXPECT_TRAP; LOAD_MTRAP(x14, MTRAP_CAUSE))
    TEST_CASE(176, x14, 0x0220d253, LOAD_MTRAP(x14, MTRAP_TVAL))
    /* fsgnj/fmin/fmv ignore frm: no trap with frm = 7. */
    TEST_CASE(177, x14, 0, EXPECT_TRAP; fsrmi 7; fsgnj.d f4, f1, f2; fmin.d f4, f1, f2; END_EXPECT_TRAP; \
              fsrmi 0; LOAD_MTRAP(x14, MTRAP_COUNT))
    GROUP "rv64fd reserved rounding modes"
TEST_END

    .data
    .align 4
fdata:
    .word 0x3f800000, 0
    .space 32
