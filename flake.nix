{
  description = "kiln: rootless, bit-for-bit reproducible disk images for embedded Linux";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";

  outputs = { self, nixpkgs }:
    let
      systems = [ "x86_64-linux" "aarch64-linux" ];
      forAll = f: nixpkgs.lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
    in
    {
      packages = forAll (pkgs: rec {
        kiln = pkgs.callPackage ./nix/package.nix { };
        # One static executable (musl); scripts/static.sh makes the glibc
        # one from Debian's libraries.
        kiln-static = pkgs.pkgsStatic.callPackage ./nix/package.nix { };
        default = kiln;
      });

      apps = forAll (pkgs: rec {
        kiln = {
          type = "app";
          program = "${self.packages.${pkgs.system}.kiln}/bin/kiln";
        };
        default = kiln;
      });

      # lib.mkImage { name; config; inputs ? [ ]; seed ? null;
      #               sourceDateEpoch ? 1577836800; vars ? { }; src ? null;
      #               mirrors ? { }; system ? "x86_64-linux";
      #               kiln ? this flake's kiln }
      # -> a derivation running `kiln build` in the sandbox; $out holds the
      # images and their .bmap files. The .debs of the config's kiln.lock
      # are fixed-output fetches from mirrors.REPO (or the lock's http(s)
      # url). See nix/image.nix and docs/nix.md.
      lib.mkImage = { system ? "x86_64-linux", kiln ? null, ... }@args:
        import ./nix/image.nix ((builtins.removeAttrs args [ "kiln" ]) // {
          inherit system;
          kiln = if kiln != null then kiln
                 else "${self.packages.${system}.kiln}/bin/kiln";
        });
    };
}
