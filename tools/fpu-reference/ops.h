/* X(RustName, mnemonic, kind) */
#define OPS \
 X(FmaddS,"fmadd.s",R4) X(FmsubS,"fmsub.s",R4) X(FnmsubS,"fnmsub.s",R4) X(FnmaddS,"fnmadd.s",R4) \
 X(FaddS,"fadd.s",R2) X(FsubS,"fsub.s",R2) X(FmulS,"fmul.s",R2) X(FdivS,"fdiv.s",R2) X(FsqrtS,"fsqrt.s",R1) \
 X(FsgnjS,"fsgnj.s",R2) X(FsgnjnS,"fsgnjn.s",R2) X(FsgnjxS,"fsgnjx.s",R2) X(FminS,"fmin.s",R2) X(FmaxS,"fmax.s",R2) \
 X(FcvtWS,"fcvt.w.s",TOI) X(FcvtWuS,"fcvt.wu.s",TOI) X(FcvtLS,"fcvt.l.s",TOI) X(FcvtLuS,"fcvt.lu.s",TOI) \
 X(FmvXW,"fmv.x.w",TOI0) X(FeqS,"feq.s",CMP) X(FltS,"flt.s",CMP) X(FleS,"fle.s",CMP) X(FclassS,"fclass.s",TOI0) \
 X(FcvtSW,"fcvt.s.w",FROMI) X(FcvtSWu,"fcvt.s.wu",FROMI) X(FcvtSL,"fcvt.s.l",FROMI) X(FcvtSLu,"fcvt.s.lu",FROMI) X(FmvWX,"fmv.w.x",FROMI0) \
 X(FmaddD,"fmadd.d",R4) X(FmsubD,"fmsub.d",R4) X(FnmsubD,"fnmsub.d",R4) X(FnmaddD,"fnmadd.d",R4) \
 X(FaddD,"fadd.d",R2) X(FsubD,"fsub.d",R2) X(FmulD,"fmul.d",R2) X(FdivD,"fdiv.d",R2) X(FsqrtD,"fsqrt.d",R1) \
 X(FsgnjD,"fsgnj.d",R2) X(FsgnjnD,"fsgnjn.d",R2) X(FsgnjxD,"fsgnjx.d",R2) X(FminD,"fmin.d",R2) X(FmaxD,"fmax.d",R2) \
 X(FcvtSD,"fcvt.s.d",R1) X(FcvtDS,"fcvt.d.s",R1) X(FeqD,"feq.d",CMP) X(FltD,"flt.d",CMP) X(FleD,"fle.d",CMP) X(FclassD,"fclass.d",TOI0) \
 X(FcvtWD,"fcvt.w.d",TOI) X(FcvtWuD,"fcvt.wu.d",TOI) X(FcvtLD,"fcvt.l.d",TOI) X(FcvtLuD,"fcvt.lu.d",TOI) X(FmvXD,"fmv.x.d",TOI0) \
 X(FcvtDW,"fcvt.d.w",FROMI) X(FcvtDWu,"fcvt.d.wu",FROMI) X(FcvtDL,"fcvt.d.l",FROMI) X(FcvtDLu,"fcvt.d.lu",FROMI) X(FmvDX,"fmv.d.x",FROMI0)
