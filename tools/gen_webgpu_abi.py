#!/usr/bin/env python3
"""Generate src/wgml/backends/webgpu/webgpu_abi.h from Dawn's API description.

Usage:
    python3 tools/gen_webgpu_abi.py [SHARED_WEBGPU_DIR] [-o OUTPUT]

SHARED_WEBGPU_DIR holds dawn.json (Dawn's API description) and
dawn-abi-structs.json (size and member offsets of every struct as compiled into
bun-webgpu-linux-x64@0.1.7's libwebgpu_wrapper.so). It defaults to
../shared/webgpu relative to the repository root.

The header declares only what a compute-only engine needs (see the WANTED_*
lists just below). Everything else -- enum values, struct members and their
order, argument lists, the types pulled in by the wanted items -- is derived
from the two JSON files. Where they disagree, dawn-abi-structs.json wins.

Python 3 standard library only.
"""

import argparse
import json
import os
import sys

# --------------------------------------------------------------------------
# What the engine needs. Names are spelled as in dawn.json.
# --------------------------------------------------------------------------

# "object: method" for object methods, a bare name for free functions (those
# of dawn.json's "function" category and the "<struct> free members" functions
# that Dawn derives for output structs). A trailing "?" marks a function the
# loader may treat as optional (absent from some builds, not needed to run).
# AddRef/Release are added for every object type that the functions below take
# or return.
WANTED_FUNCTIONS = [
    "create instance",
    "get instance capabilities?",
    "instance: request adapter",
    "instance: wait any",
    "instance: process events",
    "instance: has WGSL language feature?",
    "instance: get WGSL language features?",
    "supported WGSL language features free members?",
    "adapter: get info",
    "adapter: get limits",
    "adapter: has feature",
    "adapter: get features?",
    "adapter: request device",
    "adapter info free members",
    "supported features free members?",
    "device: get limits",
    "device: has feature",
    "device: get features?",
    "device: get adapter info?",
    "device: get queue",
    "device: destroy",
    "device: create buffer",
    "device: create shader module",
    "device: create bind group layout",
    "device: create bind group",
    "device: create pipeline layout",
    "device: create compute pipeline",
    "device: create compute pipeline async?",
    "device: create command encoder",
    "device: create query set",
    "device: push error scope",
    "device: pop error scope",
    "buffer: map async",
    "buffer: get const mapped range",
    "buffer: get mapped range",
    "buffer: unmap",
    "buffer: get size",
    "buffer: get usage?",
    "buffer: get map state?",
    "buffer: destroy",
    "queue: write buffer",
    "queue: submit",
    "queue: on submitted work done",
    "shader module: get compilation info",
    "compute pipeline: get bind group layout",
    "command encoder: begin compute pass",
    "command encoder: copy buffer to buffer",
    "command encoder: clear buffer",
    "command encoder: resolve query set",
    "command encoder: write timestamp?",
    "command encoder: finish",
    "compute pass encoder: set pipeline",
    "compute pass encoder: set bind group",
    "compute pass encoder: dispatch workgroups",
    "compute pass encoder: dispatch workgroups indirect",
    "compute pass encoder: end",
    "query set: get count?",
    "query set: get type?",
    "query set: destroy",
]

# Structures wanted in addition to those the functions above pull in (the
# generator adds every structure, enum and callback reachable from these).
WANTED_STRUCTS = [
    "instance descriptor",
    "request adapter options",
    "device descriptor",
    "limits",
    "adapter info",
    "supported features",
    "buffer descriptor",
    "shader module descriptor",
    "shader source WGSL",        # chained into shader module descriptor
    "dawn toggles descriptor",   # chained into instance/adapter/device descriptors
    "dawn cache device descriptor",  # chained into device descriptor: the pipeline disk cache
    "compilation info",
    "bind group layout descriptor",
    "bind group descriptor",
    "pipeline layout descriptor",
    "compute pipeline descriptor",
    "command encoder descriptor",
    "compute pass descriptor",
    "command buffer descriptor",
    "query set descriptor",
]

# Enums/bitmasks wanted even if no wanted structure or function refers to them.
WANTED_ENUMS = [
    "backend type", "adapter type", "feature level", "feature name",
    "power preference", "optional bool", "s type", "callback mode",
    "wait status", "status", "request adapter status", "request device status",
    "map async status", "queue work done status", "pop error scope status",
    "create pipeline async status", "compilation info request status",
    "compilation message type", "error type", "error filter",
    "device lost reason", "buffer map state", "query type",
    "buffer binding type", "WGSL language feature name",
    "buffer usage", "map mode", "shader stage",
]

WANTED_CONSTANTS = [
    "strlen", "whole size", "whole map size", "limit u32 undefined",
    "limit u64 undefined", "query set index undefined",
]

# Tags of dawn.json items present in Dawn's native build (what the .so is);
# Dawn's own generator parses dawn.json with these for its native headers.
ENABLED_TAGS = {"compat", "dawn", "native", "deprecated"}

OUTPUT_REL = os.path.join("src", "wgml", "backends", "webgpu", "webgpu_abi.h")

# --------------------------------------------------------------------------
# Names
# --------------------------------------------------------------------------


def chunks(name):
    return name.split(" ")


def camel(name):        # "max texture dimension 1D" -> "maxTextureDimension1D"
    c = chunks(name)
    return c[0] + "".join(x[0].upper() + x[1:] for x in c[1:])


def Camel(name):        # "request adapter" -> "RequestAdapter"
    return "".join(x[0].upper() + x[1:] for x in chunks(name))


def c_type_name(name):  # "device descriptor" -> "WGPUDeviceDescriptor"
    return "WGPU" + Camel(name)


NATIVE_C = {
    "bool": "WGPUBool", "void": "void", "void *": "void *",
    "void const *": "void const *", "char": "char", "int": "int",
    "int32_t": "int32_t", "size_t": "size_t", "uint8_t": "uint8_t",
    "uint16_t": "uint16_t", "uint32_t": "uint32_t", "uint64_t": "uint64_t",
    "float": "float", "double": "double",
}

# x86-64 SysV (size, align) of dawn.json's native types; used only to
# cross-check dawn-abi-structs.json and for the structs it lacks.
NATIVE_LAYOUT = {
    "bool": (4, 4), "char": (1, 1), "int": (4, 4), "int32_t": (4, 4),
    "size_t": (8, 8), "uint8_t": (1, 1), "uint16_t": (2, 2),
    "uint32_t": (4, 4), "uint64_t": (8, 8), "float": (4, 4),
    "double": (8, 8), "void *": (8, 8), "void const *": (8, 8),
}
PTR = (8, 8)

# --------------------------------------------------------------------------
# Model
# --------------------------------------------------------------------------


def enabled(item):
    tags = item.get("tags")
    return tags is None or any(t in ENABLED_TAGS for t in tags)


def enum_c_value(v):
    """C value of an enum value: the range offset Dawn's generator applies."""
    tags = v.get("tags", [])
    prefix = 0
    if "compat" in tags:
        prefix = 0x0002_0000
    if "upstream" not in tags:
        if "dawn" in tags:
            prefix = 0x0005_0000
        elif "emscripten" in tags:
            prefix = 0x0004_0000
    if prefix == 0 and "native" in tags:
        prefix = 0x0001_0000
    return v["value"] + prefix


class Gen:
    def __init__(self, dawn, abi):
        self.d = {k: v for k, v in dawn.items()
                  if not k.startswith("_") and isinstance(v, dict)}
        self.abi = abi
        self.notes = []          # things worth telling whoever runs this
        self.structs = []        # dawn.json names, discovery order
        self.enums = []
        self.callbacks = []
        self.objects = []
        self.functions = []      # dicts: symbol, proc, member, ret, args, optional

    # ---- type lookup ----------------------------------------------------
    def cat(self, t):
        if t == "chained struct":
            return "structure"
        if t in self.d:
            return self.d[t]["category"]
        raise SystemExit("unknown dawn.json type: %r" % t)

    def c_of(self, t):
        c = self.cat(t)
        if c == "native":
            return NATIVE_C[t]
        if c == "typedef":
            return self.c_of(self.d[t]["type"])
        return c_type_name(t)

    def decl(self, t, annotation, name):
        base = self.c_of(t)
        if annotation in (None, "value"):
            return "%s %s" % (base, name)
        if annotation == "*":
            return "%s * %s" % (base, name)
        if annotation == "const*":
            return "%s const * %s" % (base, name)
        if annotation == "const*const*":
            return "%s const * const * %s" % (base, name)
        raise SystemExit("unknown annotation %r" % annotation)

    # ---- reachability ---------------------------------------------------
    def use(self, t):
        if t == "chained struct":
            return
        if self.d.get(t, {}).get("category") == "typedef":
            t = self.d[t]["type"]
        c = self.cat(t)
        if c in ("structure", "callback info"):
            if t not in self.structs:
                self.structs.append(t)
                for m in self.members_json(t):
                    self.use(m["type"])
                if self.d[t].get("chained"):
                    self.use("s type")
        elif c in ("enum", "bitmask"):
            if t not in self.enums:
                self.enums.append(t)
        elif c in ("callback function", "function pointer"):
            if t not in self.callbacks:
                self.callbacks.append(t)
                for a in self.d[t].get("args", []):
                    self.use(a["type"])
                self.use(self.d[t].get("returns", "void"))
        elif c == "object":
            if t not in self.objects:
                self.objects.append(t)

    def members_json(self, s):
        """dawn.json members of struct s, enabled for the native build."""
        return [m for m in self.d[s].get("members", []) if enabled(m)]

    # ---- functions ------------------------------------------------------
    def add_function(self, spec):
        optional = spec.endswith("?")
        spec = spec.rstrip("?")
        if ":" in spec:
            obj, meth = [x.strip() for x in spec.split(":")]
            if self.cat(obj) != "object":
                raise SystemExit("%r is not an object" % obj)
            if meth in ("add ref", "release"):
                j = {"name": meth}
            else:
                found = [m for m in self.d[obj].get("methods", [])
                         if m["name"] == meth]
                if not found:
                    raise SystemExit("no method %r on %r in dawn.json" % (meth, obj))
                j = found[0]
                if not enabled(j):
                    raise SystemExit("%s: %s is not in the native build" % (obj, meth))
            args = [{"name": obj, "type": obj}] + j.get("args", [])
            ret = j.get("returns", "void")
            cname = Camel(obj) + Camel(meth)
            self.use(obj)
        elif spec.endswith(" free members"):
            s = spec[: -len(" free members")]
            j = self.d.get(s)
            if not j or j["category"] != "structure":
                raise SystemExit("no structure %r for %r" % (s, spec))
            if not self.has_free_members(s):
                raise SystemExit("%r has no free-members function in Dawn" % s)
            args = [{"name": s, "type": s}]   # passed by value, as in webgpu.h
            ret = "void"
            cname = Camel(s) + "FreeMembers"
        else:
            j = self.d.get(spec)
            if not j or j["category"] != "function":
                raise SystemExit("no function %r in dawn.json" % spec)
            args = j.get("args", [])
            ret = j.get("returns", "void")
            cname = Camel(spec)
        for a in args:
            self.use(a["type"])
        self.use(ret)
        if any(f["cname"] == cname for f in self.functions):
            return
        self.functions.append({
            "cname": cname, "symbol": "wgpu" + cname,
            "proc": "WGPUProc" + cname,
            "member": cname[0].lower() + cname[1:],
            "ret": ret, "args": args, "optional": optional,
        })

    def has_free_members(self, s):
        j = self.d[s]
        out = j.get("chained") == "out" or j.get("extensible") == "out" or j.get("out")
        if not out:
            return False
        return any(m.get("annotation", "value") != "value" or m["type"] == "string view"
                   for m in self.members_json(s))

    # ---- struct members (C form) ---------------------------------------
    def c_members(self, s):
        """[(c_decl, member_name, (size, align))] in C order, before ABI filtering."""
        j = self.d.get(s, {})
        out = []
        if s == "chained struct":
            return [("struct WGPUChainedStruct * next", "next", PTR),
                    ("WGPUSType sType", "sType", (4, 4))]
        if j.get("chained"):
            out.append(("WGPUChainedStruct chain", "chain", (16, 8)))
        elif j.get("extensible") or j["category"] == "callback info":
            out.append(("WGPUChainedStruct * nextInChain", "nextInChain", PTR))
        for m in self.members_json(s):
            name = camel(m["name"])
            ann = m.get("annotation", "value")
            out.append((self.decl(m["type"], ann, name), name, self.layout_of(m["type"], ann)))
        if j.get("category") == "callback info":
            out.append(("void * userdata1", "userdata1", PTR))
            out.append(("void * userdata2", "userdata2", PTR))
        return out

    def layout_of(self, t, ann="value"):
        if ann != "value":
            return PTR
        if self.d.get(t, {}).get("category") == "typedef":
            t = self.d[t]["type"]
        c = self.cat(t)
        if c == "native":
            return NATIVE_LAYOUT[t]
        if c == "enum":
            return (4, 4)
        if c == "bitmask":
            return (8, 8)
        if c in ("object", "callback function", "function pointer"):
            return PTR
        if c in ("structure", "callback info"):
            size, align, _ = self.computed_layout(t)
            return (size, align)
        raise SystemExit("no layout for %r" % t)

    def computed_layout(self, s, members=None):
        if members is None:
            members = self.c_members(s)
        off, align, offs = 0, 1, []
        for _, name, (sz, al) in members:
            off = (off + al - 1) // al * al
            offs.append((name, off))
            off += sz
            align = max(align, al)
        return (off + align - 1) // align * align, align, offs

    def final_members(self, s):
        """Members as emitted: dawn.json order, but the ABI file wins."""
        members = self.c_members(s)
        abi = self.abi.get(c_type_name(s))
        if not abi or not abi["size"]:
            return members, None
        abi_names = [n for n, _ in abi["members"]]
        ours = [n for _, n, _ in members]
        extra = [n for n in abi_names if n not in ours]
        if extra:
            raise SystemExit("%s: ABI members %s unknown to dawn.json" % (c_type_name(s), extra))
        dropped = [n for n in ours if n not in abi_names]
        if dropped:
            self.notes.append("%s: dawn.json members %s are absent from the .so; omitted"
                              % (c_type_name(s), ", ".join(dropped)))
            members = [m for m in members if m[1] in abi_names]
        if [m[1] for m in members] != abi_names:
            raise SystemExit("%s: member order differs from the ABI file" % c_type_name(s))
        size, _, offs = self.computed_layout(s, members)
        if size != abi["size"] or [o for _, o in offs] != [o for _, o in abi["members"]]:
            self.notes.append("%s: layout computed from dawn.json (%d bytes) differs from the "
                              "ABI file (%d bytes); the ABI file's values are asserted"
                              % (c_type_name(s), size, abi["size"]))
        return members, abi

    # ---- ordering -------------------------------------------------------
    def struct_order(self):
        order, seen = [], set()

        def visit(s):
            if s in seen:
                return
            seen.add(s)
            for m in self.members_json(s):
                t = m["type"]
                if self.d.get(t, {}).get("category") == "typedef":
                    t = self.d[t]["type"]
                if m.get("annotation", "value") == "value" and \
                        self.cat(t) in ("structure", "callback info"):
                    visit(t)
            order.append(s)

        for s in sorted(self.structs, key=c_type_name):
            visit(s)
        return order


# --------------------------------------------------------------------------
# Emission
# --------------------------------------------------------------------------


def emit(g, shared_dir):
    L = []
    w = L.append
    structs = ["chained struct"] + g.struct_order()
    w("// Generated by tools/gen_webgpu_abi.py from dawn.json and dawn-abi-structs.json; do not edit.")
    w("// clang-format off")
    w("//")
    w("// A subset of Dawn's webgpu.h C API (the standardized StringView/CallbackInfo/")
    w("// future era) for a compute-only engine, matching libwebgpu_wrapper.so from")
    w("// npm bun-webgpu-linux-x64@0.1.7 (Dawn 83f69a4f15..a562d1dac3, June 2025).")
    w("// Functions are declared as pointer typedefs only; a loader fills WgpuProcs")
    w("// by dlsym() over kWgpuProcNames. Regenerate with:")
    w("//   python3 tools/gen_webgpu_abi.py [path/to/shared/webgpu]")
    w("//")
    w("// Conventions of this ABI: WGPUBool is 32-bit, WGPUFlags 64-bit, enums 4 bytes;")
    w("// callbacks receive WGPUStringView by value followed by userdata1, userdata2;")
    w("// *CallbackInfo structs are passed by value. WGPUStringView {NULL, WGPU_STRLEN}")
    w("// is the null string and {ptr, WGPU_STRLEN} a NUL-terminated one.")
    w("#ifndef WGML_DEVICES_WEBGPU_WEBGPU_ABI_H_")
    w("#define WGML_DEVICES_WEBGPU_WEBGPU_ABI_H_")
    w("")
    w("#include <stddef.h>")
    w("#include <stdint.h>")
    w("#if !defined(__cplusplus)")
    w("#include <assert.h>  // static_assert in C11")
    w("#endif")
    w("")
    w("// Constants defined in this header: inline constexpr in C++ (no per-TU copies,")
    w("// no unused warnings), static const in C.")
    w("#if defined(__cplusplus)")
    w("#define WGPU_ABI_CONSTANT inline constexpr")
    w("#else")
    w("#define WGPU_ABI_CONSTANT static const")
    w("#endif")
    w("")
    w("#if defined(__cplusplus)")
    w('extern "C" {')
    w("#endif")
    w("")
    for k in WANTED_CONSTANTS:
        j = g.d[k]
        w("#define WGPU_%s %s" % (k.upper().replace(" ", "_"), j["value"]))
    w("")
    w("typedef uint64_t WGPUFlags;")
    w("typedef uint32_t WGPUBool;")
    w("")
    w("// Object handles")
    for o in sorted(g.objects, key=c_type_name):
        w("typedef struct %sImpl* %s;" % (c_type_name(o), c_type_name(o)))
    w("")
    w("// Structure forward declarations")
    for s in sorted(structs, key=c_type_name):
        w("typedef struct %s %s;" % (c_type_name(s), c_type_name(s)))
    w("")
    w("// Enums (values as in Dawn's native build; Dawn-only values are 0x0005xxxx,")
    w("// compatibility-mode values 0x0002xxxx)")
    for e in sorted(g.enums, key=c_type_name):
        j = g.d[e]
        name = c_type_name(e)
        if j["category"] == "bitmask":
            continue
        w("typedef enum %s {" % name)
        for v in j["values"]:
            if not enabled(v):
                continue
            w("    %s_%s = 0x%08X," % (name, Camel(v["name"]), enum_c_value(v)))
        w("    %s_Force32 = 0x7FFFFFFF" % name)
        w("} %s;" % name)
        w("")
    w("// Bitmasks (64-bit WGPUFlags)")
    for e in sorted(g.enums, key=c_type_name):
        j = g.d[e]
        if j["category"] != "bitmask":
            continue
        name = c_type_name(e)
        w("typedef WGPUFlags %s;" % name)
        for v in j["values"]:
            if enabled(v):
                w("WGPU_ABI_CONSTANT %s %s_%s = 0x%016X;" % (name, name, Camel(v["name"]), v["value"]))
        w("")
    w("// Callbacks")
    for cb in sorted(g.callbacks, key=c_type_name):
        j = g.d[cb]
        args = [g.decl(a["type"], a.get("annotation"), camel(a["name"])) for a in j.get("args", [])]
        if j["category"] == "callback function":
            args += ["void * userdata1", "void * userdata2"]
        w("typedef %s (*%s)(%s);" % (g.c_of(j.get("returns", "void")), c_type_name(cb),
                                     ", ".join(args) or "void"))
    w("")
    w("// Structures")
    sizes = {}
    for s in structs:
        members, abi = g.final_members(s)
        j = g.d.get(s, {})
        if s == "chained struct":
            w("// Header of every chained (nextInChain) extension struct.")
        elif j.get("chained"):
            roots = ", ".join(c_type_name(r) for r in j.get("chain roots", []))
            stype = "WGPUSType_" + Camel(s)
            w("// Chained into %s with chain.sType = %s." % (roots, stype))
        w("typedef struct %s {" % c_type_name(s))
        for d, _, _ in members:
            w("    %s;" % d)
        w("} %s;" % c_type_name(s))
        w("")
        sizes[s] = (members, abi)
    w("// Functions (pointer typedefs; fill with dlsym)")
    for f in g.functions:
        args = [g.decl(a["type"], a.get("annotation"), camel(a["name"])) for a in f["args"]]
        w("typedef %s (*%s)(%s);" % (g.c_of(f["ret"]), f["proc"], ", ".join(args) or "void"))
    w("")
    w("typedef struct WgpuProcs {")
    for f in g.functions:
        w("    %s %s;" % (f["proc"], f["member"]))
    w("} WgpuProcs;")
    w("")
    w("typedef struct WgpuProcName {")
    w("    size_t offset;         // offsetof(WgpuProcs, member)")
    w("    char const * symbol;   // exported symbol name")
    w("    WGPUBool optional;     // 1: the engine can run without it")
    w("} WgpuProcName;")
    w("")
    w("WGPU_ABI_CONSTANT WgpuProcName kWgpuProcNames[] = {")
    for f in g.functions:
        w('    {offsetof(WgpuProcs, %s), "%s", %d},' % (f["member"], f["symbol"], f["optional"]))
    w("};")
    w("#define WGPU_ABI_PROC_COUNT %d" % len(g.functions))
    w("")
    w("#if defined(__cplusplus)")
    w('}  // extern "C"')
    w("#endif")
    w("")
    w("// ---- ABI checks -------------------------------------------------------")
    w('static_assert(sizeof(WGPUBool) == 4, "WGPUBool is 32-bit");')
    w('static_assert(sizeof(WGPUFlags) == 8, "WGPUFlags is 64-bit");')
    for e in sorted(g.enums, key=c_type_name):
        if g.d[e]["category"] == "enum":
            w('static_assert(sizeof(%s) == 4, "enums are 4 bytes");' % c_type_name(e))
    w('static_assert(sizeof(WgpuProcs) == WGPU_ABI_PROC_COUNT * sizeof(void (*)(void)), '
      '"one WgpuProcs member per kWgpuProcNames entry");')
    w('static_assert(sizeof(kWgpuProcNames) / sizeof(kWgpuProcNames[0]) == WGPU_ABI_PROC_COUNT, '
      '"kWgpuProcNames is complete");')
    w("")
    w("// Sizes and member offsets of libwebgpu_wrapper.so (x86-64); a wasm32 build uses")
    w("// a different device layer.")
    w("#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu")
    w("// From dawn-abi-structs.json (read from the .so's debug info).")
    computed = []
    for s in structs:
        members, abi = sizes[s]
        n = c_type_name(s)
        if abi is None:
            computed.append(s)
            continue
        w('static_assert(sizeof(%s) == %d, "%s size");' % (n, abi["size"], n))
        for mname, off in abi["members"]:
            w('static_assert(offsetof(%s, %s) == %d, "%s.%s offset");' % (n, mname, off, n, mname))
    if computed:
        w("// Absent from dawn-abi-structs.json: computed by the generator from dawn.json")
        w("// with x86-64 SysV layout rules (the same rules reproduce every struct above).")
        for s in computed:
            members, _ = sizes[s]
            size, _, offs = g.computed_layout(s, members)
            n = c_type_name(s)
            g.notes.append("%s: not in the ABI file; asserted with computed layout (%d bytes)"
                           % (n, size))
            w('static_assert(sizeof(%s) == %d, "%s size (computed)");' % (n, size, n))
            for mname, off in offs:
                w('static_assert(offsetof(%s, %s) == %d, "%s.%s offset (computed)");'
                  % (n, mname, off, n, mname))
    w("#endif  // UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu")
    w("")
    w("#endif  // WGML_DEVICES_WEBGPU_WEBGPU_ABI_H_")
    return "\n".join(L) + "\n"


def check_layout_model(g):
    """Compare our layout rules with every struct of the ABI file that dawn.json
    describes, so the computed asserts (for structs the ABI file lacks) can be
    trusted. Returns (number checked, list of mismatches)."""
    bad, checked = [], 0
    by_c = {c_type_name(k): k for k, v in g.d.items()
            if v.get("category") in ("structure", "callback info")}
    by_c["WGPUChainedStruct"] = "chained struct"
    for cname, abi in g.abi.items():
        if not abi["size"] or cname not in by_c:
            continue
        s = by_c[cname]
        checked += 1
        members = g.c_members(s)
        abi_names = [n for n, _ in abi["members"]]
        members = [m for m in members if m[1] in abi_names]
        size, _, offs = g.computed_layout(s, members)
        if size != abi["size"] or offs != [tuple(m) for m in abi["members"]]:
            bad.append(cname)
    return checked, bad


def main():
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("shared", nargs="?",
                    default=os.path.join(repo, "..", "shared", "webgpu"),
                    help="folder with dawn.json and dawn-abi-structs.json")
    ap.add_argument("-o", "--output", default=os.path.join(repo, OUTPUT_REL))
    args = ap.parse_args()

    with open(os.path.join(args.shared, "dawn.json")) as f:
        dawn = json.load(f)
    with open(os.path.join(args.shared, "dawn-abi-structs.json")) as f:
        abi = json.load(f)

    g = Gen(dawn, abi)
    for spec in WANTED_FUNCTIONS:
        g.add_function(spec)
    # AddRef/Release for every object type the functions take or return.
    used = []
    for f in g.functions:
        for t in [f["ret"]] + [a["type"] for a in f["args"]]:
            if g.d.get(t, {}).get("category") == "object" and t not in used:
                used.append(t)
    for o in used:
        g.add_function("%s: add ref" % o)
        g.add_function("%s: release" % o)
    for s in WANTED_STRUCTS:
        if g.cat(s) != "structure":
            raise SystemExit("%r is not a structure" % s)
        g.use(s)
    for e in WANTED_ENUMS:
        g.use(e)

    checked, bad = check_layout_model(g)
    print("layout model reproduces %d of %d structs of the ABI file"
          % (checked - len(bad), checked))
    if bad:
        g.notes.append("layout model disagrees with the ABI file for: " + ", ".join(bad))

    text = emit(g, args.shared)
    os.makedirs(os.path.dirname(os.path.abspath(args.output)), exist_ok=True)
    with open(args.output, "w") as f:
        f.write(text)
    print("wrote %s: %d functions, %d structs, %d enums/bitmasks"
          % (os.path.relpath(args.output), len(g.functions), len(g.structs) + 1, len(g.enums)))
    for n in g.notes:
        print("note:", n)


if __name__ == "__main__":
    sys.exit(main())
