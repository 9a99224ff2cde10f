import struct
def s(x):  # boxed single from python float
    return 0xFFFFFFFF00000000 | struct.unpack('<I', struct.pack('<f', x))[0]
def sb(bits): return 0xFFFFFFFF00000000 | bits
def d(x): return struct.unpack('<Q', struct.pack('<d', x))[0]
inf = float('inf')
S_QNAN, S_SNAN, S_NQNAN, S_QNANP, S_SNAN2 = sb(0x7FC00000), sb(0x7F800001), sb(0xFFC00000), sb(0x7FC12345), sb(0xFFA00000)
D_QNAN, D_SNAN, D_NQNAN, D_QNANP = 0x7FF8000000000000, 0x7FF0000000000001, 0xFFF8000000000000, 0x7FF8000000012345
S_MAX, S_MINN, S_MINS = sb(0x7F7FFFFF), sb(0x00800000), sb(0x00000001)
D_MAX, D_MINN, D_MINS = 0x7FEFFFFFFFFFFFFF, 0x0010000000000000, 1
sections = []
def sec(name): sections.append(('#', name))
def v(op, rm, a, b=0, c=0): sections.append((op, rm, a, b, c))
ALL = range(5)

sec('rounding_modes')
for rm in ALL:
    v('FdivS', rm, s(1), s(3)); v('FdivS', rm, s(-1), s(3))
    v('FdivD', rm, d(1), d(3)); v('FdivD', rm, d(-1), d(3))
    v('FaddS', rm, s(1), s(2**-24))            # tie: RNE -> 1.0, RMM -> 1+2^-23
    v('FaddS', rm, sb(0x3F800001), s(2**-24))  # tie to odd neighbour
    v('FaddD', rm, d(1), d(2**-53)); v('FaddD', rm, d(-1), d(-2**-53))
    v('FsubS', rm, s(1), s(2**-30)); v('FsubD', rm, d(-1), d(2**-60))
    v('FmulS', rm, s(1/3), s(3)); v('FmulD', rm, d(1/3), d(3))
    v('FsqrtS', rm, s(2)); v('FsqrtD', rm, d(2))
    v('FmaddS', rm, s(1/3), s(3), s(-1)); v('FmaddD', rm, d(1/3), d(3), d(-1))
    v('FcvtWS', rm, s(2.5)); v('FcvtWS', rm, s(-2.5)); v('FcvtLD', rm, d(-3.5)); v('FcvtWuD', rm, d(0.5))
    v('FcvtLS', rm, s(-1.5)); v('FcvtLuS', rm, s(2.5)); v('FcvtWD', rm, d(2.5)); v('FcvtLuD', rm, d(7.5))
    v('FcvtSW', rm, 16777217); v('FcvtSW', rm, (-16777219) & 0xFFFFFFFFFFFFFFFF)
    v('FcvtSWu', rm, 0xFFFFFFFF); v('FcvtSL', rm, (1<<62) + 1); v('FcvtSLu', rm, 0xFFFFFFFFFFFFFFFF)
    v('FcvtDL', rm, (1<<62) + 1); v('FcvtDLu', rm, 0xFFFFFFFFFFFFFFFF); v('FcvtDL', rm, (-(1<<62) - 3) & 0xFFFFFFFFFFFFFFFF)
    v('FcvtSD', rm, d(1/3)); v('FcvtSD', rm, d(-1/3))

sec('exception_flags')
v('FmulS', 0, s(0), s(inf)); v('FmulD', 0, d(inf), d(-0.0))
v('FsubS', 0, s(inf), s(inf)); v('FaddD', 0, d(inf), d(-inf))
v('FsqrtS', 0, s(-1)); v('FsqrtD', 0, d(-1)); v('FsqrtS', 0, s(-0.0)); v('FsqrtD', 0, d(-inf))
v('FdivS', 0, s(0), s(0)); v('FdivD', 0, d(inf), d(inf))
v('FdivS', 0, s(1), s(0)); v('FdivS', 0, s(-1), s(0)); v('FdivD', 0, d(1), d(-0.0)); v('FdivD', 0, d(0), d(0.0) ^ 0) 
v('FdivS', 0, s(inf), s(0))
for rm in ALL:
    v('FmulS', rm, S_MAX, s(2)); v('FmulS', rm, S_MAX, s(-2)); v('FaddD', rm, D_MAX, D_MAX); v('FmulD', rm, D_MAX ^ (1<<63), d(2))
    v('FmulS', rm, S_MINS, s(0.5)); v('FmulD', rm, D_MINS, d(-0.5))
    v('FmulS', rm, S_MINN, s(0.75)); v('FmulD', rm, D_MINN, d(0.75))
v('FmulS', 0, S_MINN, s(0.5)); v('FmulD', 0, D_MINN, d(0.5))   # exact subnormal: no UF
v('FcvtSD', 0, 0x380FFFFFF0000000)   # rounds up to min normal: tininess after rounding -> no UF
v('FcvtSD', 1, 0x380FFFFFF0000000)
v('FmulD', 0, 0x3FEFFFFFFFFFFFFF, 0x0010000000000001)
v('FmulD', 0, 0x3FEFFFFFFFFFFFFF, D_MINN)
v('FmaddS', 0, s(0), s(inf), S_QNAN); v('FmaddD', 0, d(inf), d(0), D_QNAN)
v('FaddS', 0, s(1), s(1)); v('FdivS', 0, s(1), s(3))

sec('canonical_nan')
v('FdivS', 0, s(0), s(0)); v('FdivD', 0, d(0), d(0))
v('FaddS', 0, S_QNANP, s(1)); v('FaddD', 0, D_QNANP, d(1)); v('FaddS', 0, s(1), S_NQNAN); v('FmulD', 0, D_NQNAN, D_QNANP)
v('FaddS', 0, S_SNAN, s(1)); v('FaddD', 0, d(1), D_SNAN); v('FsubS', 0, S_SNAN2, S_QNANP); v('FdivD', 0, D_QNANP, D_SNAN)
v('FsqrtS', 0, S_QNANP); v('FsqrtD', 0, D_SNAN)
v('FcvtDS', 0, S_QNANP); v('FcvtDS', 0, S_SNAN); v('FcvtDS', 0, S_NQNAN)
v('FcvtSD', 0, D_QNANP); v('FcvtSD', 0, D_SNAN); v('FcvtSD', 0, D_NQNAN)
v('FmaddS', 0, S_QNANP, s(1), s(1)); v('FnmaddS', 0, S_NQNAN, s(1), s(1)); v('FnmsubS', 0, s(1), s(1), S_SNAN)
v('FmsubD', 0, D_QNANP, d(1), d(1)); v('FnmaddD', 0, d(1), D_NQNAN, d(1)); v('FnmsubD', 0, d(1), d(1), D_SNAN)

sec('nan_boxing')
v('FaddS', 0, 0x000000003F800000, s(1)); v('FaddS', 0, 0xFFFFFFFE3F800000, s(1)); v('FmulS', 0, s(2), 0x7FFFFFFF40000000)
v('FsgnjS', 0, 0x000000003F800000, s(1)); v('FsgnjnS', 0, s(1), 0x00000000BF800000); v('FsgnjxS', 0, 0x12345678BF800000, s(-1))
v('FmvXW', 0, 0x12345678BF800000); v('FmvXW', 0, 0x123456783F800000); v('FmvXW', 0, sb(0x80000000))
v('FmvWX', 0, 0x1234567880000000); v('FmvWX', 0, 0x000000003F800000)
v('FclassS', 0, 0x000000003F800000); v('FcvtDS', 0, 0x000000003F800000); v('FcvtWS', 0, 0x0000000040000000)
v('FeqS', 0, 0x000000003F800000, 0x000000003F800000); v('FleS', 0, 0x000000003F800000, s(1))
v('FminS', 0, 0x000000003F800000, s(2)); v('FmaxS', 0, s(-2), 0x000000003F800000)
v('FmaddS', 0, s(1), s(1), 0x000000003F800000); v('FsqrtS', 0, 0x0000000040800000)
v('FcvtSD', 0, d(1.5)); v('FcvtSW', 0, 7); v('FmvDX', 0, 0x123456789ABCDEF0); v('FmvXD', 0, 0x123456789ABCDEF0)

sec('fmin_fmax')
for op, A, B in [('FminS', 0, 0), ('FmaxS', 0, 0), ('FminD', 1, 1), ('FmaxD', 1, 1)]:
    if op.endswith('S'):
        z, nz, one, two, neg, q, sn, qp = s(0), s(-0.0), s(1), s(2), s(-3), S_QNAN, S_SNAN, S_QNANP
    else:
        z, nz, one, two, neg, q, sn, qp = d(0), d(-0.0), d(1), d(2), d(-3), D_QNAN, D_SNAN, D_QNANP
    for a, b in [(z, nz), (nz, z), (one, two), (two, one), (neg, one), (one, neg), (q, one), (one, qp),
                 (sn, one), (one, sn), (q, qp), (sn, q), (sn, sn), (nz, nz)]:
        v(op, 0, a, b)

sec('compare')
for op in ['FeqS', 'FltS', 'FleS', 'FeqD', 'FltD', 'FleD']:
    if op.endswith('S'):
        z, nz, one, two, neg, q, sn = s(0), s(-0.0), s(1), s(2), s(-3), S_QNAN, S_SNAN
        i, ni = s(inf), s(-inf)
    else:
        z, nz, one, two, neg, q, sn = d(0), d(-0.0), d(1), d(2), d(-3), D_QNAN, D_SNAN
        i, ni = d(inf), d(-inf)
    for a, b in [(z, nz), (one, two), (two, one), (one, one), (neg, one), (neg, neg), (ni, i), (q, one), (one, sn), (q, q)]:
        v(op, 0, a, b)

def cvt_cases(src):
    f = s if src == 'S' else d
    nan, snan = (S_QNAN, S_SNAN) if src == 'S' else (D_QNAN, D_SNAN)
    return f, nan, snan
sec('fcvt_to_int_saturation')
for src in 'SD':
    f, nan, snan = cvt_cases(src)
    nnan = S_NQNAN if src == 'S' else D_NQNAN
    for dst in ['W', 'Wu', 'L', 'Lu']:
        op = 'Fcvt%s%s' % (dst, src)
        vals = [nan, snan, nnan, f(inf), f(-inf), f(3e9), f(-3e9), f(5e9), f(1e19), f(-1e19), f(2e19),
                f(2.0**31), f(-2.0**31), f(2.0**32), f(2.0**63), f(-2.0**63), f(2.0**64), f(-1.0), f(-0.0), f(0.5), f(-0.5)]
        if src == 'D':
            vals += [d(4294967295.0), d(-2147483649.0), d(2147483647.5), d(2147483647.0), d(-2147483648.5), d(4294967295.5)]
        for x in vals:
            v(op, 0, x)
        for rm in ALL:
            v(op, rm, f(-0.3)); v(op, rm, f(-0.7))
        if src == 'D' and dst == 'W':
            for rm in ALL: v(op, rm, d(2147483647.5)); v(op, rm, d(-2147483648.5))
        if src == 'D' and dst == 'Wu':
            for rm in ALL: v(op, rm, d(4294967295.5))

sec('fcvt_from_int')
for op in ['FcvtSW', 'FcvtSWu', 'FcvtSL', 'FcvtSLu', 'FcvtDW', 'FcvtDWu', 'FcvtDL', 'FcvtDLu']:
    for x in [0, 1, 0xFFFFFFFFFFFFFFFF, 0x00000000FFFFFFFF, 0x123456787FFFFFFF, 0x8000000000000000, 0x7FFFFFFFFFFFFFFF, 0xFFFFFFFF80000000]:
        v(op, 0, x)

sec('fclass')
for x in [s(-inf), s(-1), sb(0x80000001), s(-0.0), s(0), sb(0x00000001), s(1), s(inf), S_SNAN, S_QNAN, S_NQNAN, sb(0x807FFFFF), sb(0x7F7FFFFF)]:
    v('FclassS', 0, x)
for x in [d(-inf), d(-1), 0x8000000000000001, d(-0.0), d(0), 1, d(1), d(inf), D_SNAN, D_QNAN, D_NQNAN, 0x7FEFFFFFFFFFFFFF]:
    v('FclassD', 0, x)

sec('fused_multiply_add')
for p in 'SD':
    f = s if p == 'S' else d
    q = S_QNAN if p == 'S' else D_QNAN
    for op in ['Fmadd', 'Fmsub', 'Fnmsub', 'Fnmadd']:
        o = op + p
        v(o, 0, f(2), f(3), f(1))
        v(o, 0, f(0), f(5), f(0)); v(o, 0, f(0), f(5), f(-0.0)); v(o, 2, f(1), f(1), f(-1)); v(o, 0, f(1), f(1), f(-1)); v(o, 2, f(1), f(1), f(1))
        v(o, 0, f(inf), f(0), q); v(o, 0, f(inf), f(1), f(-inf)); v(o, 0, f(inf), f(1), f(inf))
    if p == 'S':
        # single rounding: (1+2^-12)^2 - 1 differs from rounded product minus 1
        v('FmaddS', 0, s(1 + 2**-12), s(1 + 2**-12), s(-1)); v('FmsubS', 0, s(1 + 2**-12), s(1 + 2**-12), s(1))
    else:
        v('FmaddD', 0, d(1 + 2**-27), d(1 + 2**-27), d(-1)); v('FnmaddD', 0, d(1 + 2**-27), d(1 + 2**-27), d(-1))

sec('sign_injection_and_moves')
for p in 'SD':
    f = s if p == 'S' else d
    q = S_QNANP if p == 'S' else D_QNANP
    for op in ['Fsgnj', 'Fsgnjn', 'Fsgnjx']:
        for a, b in [(f(1), f(-2)), (f(-1), f(-2)), (f(-1), f(2)), (q, f(-1)), (f(1), f(2))]:
            v(op + p, 0, a, b)

sec('sqrt_and_basic_arithmetic')
v('FsqrtS', 0, s(4)); v('FsqrtD', 0, d(9)); v('FsqrtS', 0, s(inf)); v('FsqrtD', 0, d(-0.0))
v('FaddS', 0, s(1.5), s(2.25)); v('FaddD', 0, d(1.5), d(2.25)); v('FsubS', 0, s(1), s(1)); v('FsubS', 2, s(1), s(1)); v('FsubD', 2, d(1), d(1))
v('FmulS', 0, s(-1.5), s(4)); v('FmulD', 0, d(-1.5), d(4)); v('FdivS', 0, s(7), s(2)); v('FdivD', 0, d(7), d(-2))
v('FcvtDS', 0, s(1/3)); v('FcvtDS', 0, sb(0x00000001)); v('FcvtSD', 0, d(1e300)); v('FcvtSD', 0, d(1e-300)); v('FcvtSD', 0, d(-inf))

with open('vectors.h', 'w') as out:
    out.write('static const struct v vecs[] = {\n')
    for t in sections:
        if t[0] == '#':
            out.write('  {-1, 0, (u64)"%s", 0, 0},\n' % t[1])
        else:
            out.write('  {%s, %d, 0x%XUL, 0x%XUL, 0x%XUL},\n' % t)
    out.write('};\n')
print(len(sections))
