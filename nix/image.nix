# One kiln image build as a plain derivation. Needs no nixpkgs: the
# builder is kiln itself, so the sandbox needs no shell. kiln writes every
# format in user space, so no VM, root, loop device or mount is involved.
#
#   import ./nix/image.nix {
#     kiln = ./build-static/kiln;        # the kiln executable: a path (imported
#                                        # to the store) or a store path string
#     name = "rpi3";
#     config = ./examples/rpi3/kiln.cfg; # a path
#     src = ...;                         # optional: where the config's relative
#                                        # names resolve (inputpath, includepath);
#                                        # default: the config's directory
#     inputs = [ ];                      # further store paths the config names
#                                        # by absolute path
#     vars = { KILN_DEBS = ./debs; };    # environment for the config's ${NAME}s
#     seed = null;                       # kiln build --seed
#     sourceDateEpoch = 1577836800;
#   }
#
# $out is a directory: the config's images that are not `temporary`, and a
# .bmap beside each disk image. docs/nix.md has the whole picture.
{ kiln
, name
, config
, src ? null
, inputs ? [ ]
, vars ? { }
, seed ? null
, sourceDateEpoch ? 1577836800
, system ? builtins.currentSystem
}:
let
  # A path is copied into the store under a fixed name, so the derivation
  # does not depend on where the checkout lives.
  import' = p: n: if builtins.isPath p then builtins.path { path = p; name = n; } else p;
  srcDir =
    if src != null then import' src "${name}-src"
    else if builtins.isPath config then builtins.path { path = dirOf config; name = "${name}-src"; }
    else throw "kiln image ${name}: config is not a path; give src (the directory its names resolve in)";
  configFile =
    if builtins.isPath config && src == null then "${srcDir}/${baseNameOf config}"
    else import' config "${name}.cfg";
in
derivation (vars // {
  inherit name system;
  builder = import' kiln "kiln";
  # The output directory is only known in the sandbox: placeholder "out"
  # is replaced by it in args. --tmppath is relative to the build
  # directory, the only writable place besides $out.
  args = [
    "build"
    "--config" configFile
    "--inputpath" srcDir
    "--includepath" srcDir
    "--outputpath" (builtins.placeholder "out")
    "--tmppath" "kiln-tmp"
    # Nix is the cache here: a derivation's output is stored and reused
    # by its hash, and a sandbox has no home for kiln's own store.
    "--no-cache"
  ] ++ (if seed == null then [ ] else [ "--seed" seed ]);
  SOURCE_DATE_EPOCH = toString sourceDateEpoch;
  # Listed so Nix puts them in the sandbox (their paths are in the config).
  kilnInputs = inputs;
})
