# kiln from this source tree, with nixpkgs:
#   pkgs.callPackage ./nix/package.nix { }
# The network commands (kiln lock/fetch, KILN_NETWORK) are left out: in Nix,
# downloads are fixed-output derivations (docs/nix.md).
{ lib
, stdenv
, cmake
, ninja
, pkg-config
, libconfuse
, libarchive
, dtc
, openssl
, zlib
, libxcrypt
}:

stdenv.mkDerivation {
  pname = "kiln";
  version = "0.1.0";

  # The tree without the top level's build directories, caches, result
  # links and VCS data: what they hold must not change the derivation.
  src = lib.cleanSourceWith {
    src = ../.;
    filter = path: type:
      let
        base = baseNameOf path;
        top = dirOf path == toString ../.;
      in
      base != ".git" && !(top && (lib.hasPrefix "build" base || base == ".cache"
        || base == "result" || lib.hasPrefix "result-" base));
  };

  nativeBuildInputs = [ cmake ninja pkg-config ];
  buildInputs = [ libconfuse libarchive dtc openssl zlib libxcrypt ];
  cmakeFlags = [ "-DKILN_NETWORK=OFF" ];

  # The test suite runs real oracles (e2fsprogs, dosfstools, mtools,
  # u-boot-tools, genimage, QEMU, ...): run it with scripts/test.sh.
  doCheck = false;

  # CMakeLists.txt has no install rule: the binary and its genimage name.
  installPhase = ''
    runHook preInstall
    install -Dm755 kiln $out/bin/kiln
    ln -s kiln $out/bin/genimage
    runHook postInstall
  '';

  meta = {
    description = "Rootless, reproducible disk images for embedded Linux (a genimage drop-in)";
    license = lib.licenses.mit;
    platforms = lib.platforms.linux;
    mainProgram = "kiln";
  };
}
