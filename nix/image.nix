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
#     mirrors = { debian = "http://MIRROR/debian"; };
#                                        # archive root per repository of
#                                        # kiln.lock: required for one whose
#                                        # url is "apt-sources" or local;
#                                        # overrides an http(s) one
#   }
#
# A config with package layers has its kiln.lock beside it (give config as
# a path, without src): each locked .deb becomes a fixed-output derivation
# (Nix's builtin fetchurl, the lock's SHA-256), handed to kiln with
# --package-file. Nix fetches, caches and shares them like any input, and
# a changed lock is a changed derivation.
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
, mirrors ? { }
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

  # kiln reads the kiln.lock beside the config it is given.
  lockFile = dirOf config + "/kiln.lock";
  hasLock = builtins.isPath config && src == null && builtins.pathExists lockFile;
  # kiln.lock is deterministic text, one fact per line, fields split at
  # single spaces (src/pkg/lockfile.c): "kiln-lock 1", "repository NAME
  # URL", "package NAME VERSION ARCH REPO SIZE SHA256 FILENAME", ...
  lockLines = map (l: builtins.filter builtins.isString (builtins.split " " l))
    (builtins.filter (l: builtins.isString l && l != "" && builtins.substring 0 1 l != "#")
      (builtins.split "\n" (builtins.readFile lockFile)));
  lockOf = kind: builtins.filter (f: builtins.head f == kind) lockLines;
  lockRepos = builtins.listToAttrs (map (f: {
    name = builtins.elemAt f 1;
    value = builtins.elemAt f 2;
  }) (lockOf "repository"));
  mirrorOf = repo:
    let url = lockRepos.${repo} or (throw "kiln image ${name}: ${toString lockFile}: no repository ${repo}");
    in if mirrors ? ${repo} then mirrors.${repo}
    else if builtins.match "https?://.*" url != null then url
    else throw "kiln image ${name}: repository ${repo} of kiln.lock has url ${url}: give mirrors.${repo} (its archive root, http://...)";
  noSlash = u: if builtins.match ".*/" u != null
    then noSlash (builtins.substring 0 (builtins.stringLength u - 1) u) else u;
  # Store names allow no '~' (Debian versions do) nor '%' or ':'.
  storeName = f: builtins.replaceStrings [ "~" "%" ":" ] [ "_" "_" "_" ] (baseNameOf f);
  fetchDeb = f:
    let at = builtins.elemAt f; in
    if builtins.length f != 8 then throw "kiln image ${name}: ${toString lockFile}: bad line: ${toString f}"
    else import <nix/fetchurl.nix> {
      url = "${noSlash (mirrorOf (at 4))}/${at 7}";
      sha256 = at 6;
      name = storeName (at 7);
    };
  # One fetch per file, though a package may be in several layers.
  debs =
    if !hasLock then [ ]
    else if builtins.head lockLines != [ "kiln-lock" "1" ]
    then throw "kiln image ${name}: ${toString lockFile}: not a kiln.lock of version 1"
    else builtins.attrValues (builtins.listToAttrs (map (f: {
      name = builtins.elemAt f 6;
      value = fetchDeb f;
    }) (lockOf "package")));
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
  ] ++ (if seed == null then [ ] else [ "--seed" seed ])
  ++ builtins.concatMap (d: [ "--package-file" "${d}" ]) debs;
  SOURCE_DATE_EPOCH = toString sourceDateEpoch;
  # Listed so Nix puts them in the sandbox (their paths are in the config).
  kilnInputs = inputs;
})
