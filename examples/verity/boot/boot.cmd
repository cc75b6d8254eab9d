echo "kiln: boot.scr: importing uboot.env from ${devtype} ${devnum}:${distro_bootpart}"
load ${devtype} ${devnum}:${distro_bootpart} 0x47000000 uboot.env && env import -c 0x47000000 0x4000 && run labboot
echo "BOOT-FAIL u-boot: boot.scr failed"
