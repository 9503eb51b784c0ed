#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# dracut module: mrboot in a systemd initrd. Installs the static agent, /etc/mrboot.conf, the
# key broker's trust anchors, the files the configuration measures, mrboot.service (wanted by
# initrd.target), the kernel modules for configfs-tsm reports and disk encryption, and the
# LUKS2 token plugin libcryptsetup-token-mrboot.so where the root has it. Works with dracut 059
# (Debian bookworm) and dracut-ng.
#
# The files come from the system being built for ($dracutsysrootdir, normally /). To build an
# initrd from a build tree, set MRBOOT_DRACUT_ROOT to a directory laid out like a root that
# holds usr/sbin/mrboot, etc/mrboot.conf, etc/mrboot/... and the unit (as `meson install
# --destdir` makes one; tests/vm/boot.sh does so).

# dracut sets initdir, systemdsystemunitdir, dracutsysrootdir and SYSTEMCTL for its modules.
# shellcheck disable=SC2154

# The root mrboot's own files are taken from.
mrboot_root() {
    printf '%s' "${MRBOOT_DRACUT_ROOT:-$dracutsysrootdir}"
}

# The value of KEY in [SECTION] of the configuration, one line per occurrence.
mrboot_conf_get() {
    local conf
    conf="$(mrboot_root)/etc/mrboot.conf"
    [[ -r $conf ]] || return 0
    awk -v want_section="$1" -v want_key="$2" '
        /^[[:space:]]*[#;]/ { next }
        /^[[:space:]]*\[/ {
            s = $0; gsub(/^[[:space:]]*\[|\][[:space:]]*$/, "", s); section = s; next
        }
        section == want_section && index($0, "=") {
            k = substr($0, 1, index($0, "=") - 1); v = substr($0, index($0, "=") + 1)
            gsub(/^[[:space:]]+|[[:space:]]+$/, "", k); gsub(/^[[:space:]]+|[[:space:]]+$/, "", v)
            if (v ~ /^".*"$/) v = substr(v, 2, length(v) - 2)
            if (k == want_key) print v
        }' "$conf"
}

# The agent's path in the root (meson installs it in sbindir): the initrd has it there too,
# where the unit's ExecStart= expects it.
mrboot_binary() {
    local path
    for path in /usr/sbin/mrboot /usr/bin/mrboot; do
        if [[ -x "$(mrboot_root)$path" ]]; then
            printf '%s' "$path"
            return 0
        fi
    done
    return 1
}

mrboot_unit() {
    local dir root
    root=$(mrboot_root)
    for dir in "$systemdsystemunitdir" /usr/lib/systemd/system /lib/systemd/system /etc/systemd/system; do
        if [[ -f $root$dir/mrboot.service ]]; then
            printf '%s' "$root$dir/mrboot.service"
            return 0
        fi
    done
    return 1
}

# The LUKS2 token plugin's path, where the root has it (a glibc build's `meson install` puts it
# in LIBDIR/cryptsetup): libcryptsetup loads token plugins from that one compiled-in directory,
# so the initrd has it at the same path. Nothing when the root has none: the static agent's
# build does not make it.
mrboot_token_plugin() {
    local dir root
    root=$(mrboot_root)
    for dir in ${libdirs:-/lib64 /usr/lib64 /lib /usr/lib}; do
        if [[ -f $root$dir/cryptsetup/libcryptsetup-token-mrboot.so ]]; then
            printf '%s' "$dir/cryptsetup/libcryptsetup-token-mrboot.so"
            return 0
        fi
    done
    return 1
}

# The kernel command line the image boots with, for its reference values: dracut.conf's
# mrboot_reference_cmdline, else the command line dracut puts into a UKI (--uefi), else
# kernel-install's /etc/kernel/cmdline. Nothing when none says it: a guess would be wrong.
mrboot_reference_cmdline() {
    local text
    if [[ -n ${mrboot_reference_cmdline-} ]]; then
        printf '%s' "$mrboot_reference_cmdline"
    elif [[ ${uefi-} == yes && -n ${kernel_cmdline-} ]]; then
        text=${kernel_cmdline#"${kernel_cmdline%%[![:space:]]*}"}
        printf '%s' "${text%"${text##*[![:space:]]}"}"
    elif [[ -s $dracutsysrootdir/etc/kernel/cmdline ]]; then
        tr -s ' \n' '  ' < "$dracutsysrootdir/etc/kernel/cmdline" | sed 's/^ //; s/ $//'
    else
        return 1
    fi
}

# Reference values beside the image (mrboot(1), predict): what this initrd's mrboot will
# measure, predicted from the initrd's own tree, written as IMAGE.mrboot-reference.json
# (mrboot's form, every platform of mrboot_reference_platforms) and IMAGE.rvps.json
# (Trustee's RVPS message), with Trustee's policies beside them. The initrd is not written
# yet: should dracut fail after this, the files describe an image that never came.
mrboot_reference() {
    local root=$1 binary=$2 dir image cmdline platform file
    local -a args
    [[ ${mrboot_reference-yes} == no ]] && return 0
    [[ -n ${outfile-} && $outfile == /* ]] || return 0
    dir=${outfile%/*}
    image=${outfile##*/}
    if ! cmdline=$(mrboot_reference_cmdline); then
        dwarn "mrboot: no reference values for $image: set mrboot_reference_cmdline in dracut.conf to the kernel command line it boots with"
        return 0
    fi
    args=(--root "$initdir" predict --cmdline "$cmdline" --image "${image//[!A-Za-z0-9._-]/-}")
    for platform in ${mrboot_reference_platforms:-tdx cca-sha256 cca-sha512 tpm}; do
        args+=(--platform "$platform")
    done
    [[ -n ${mrboot_reference_alone-} ]] && args+=(--alone "$mrboot_reference_alone")
    [[ -n ${mrboot_reference_also_accept-} ]] &&
        args+=(--also-accept "$mrboot_reference_also_accept")
    if ! "$root$binary" "${args[@]}" --json > "$dir/$image.mrboot-reference.json.new"; then
        rm -f "$dir/$image.mrboot-reference.json.new"
        dwarn "mrboot: no reference values for $image: mrboot predict failed (above)"
        return 0
    fi
    mv -f "$dir/$image.mrboot-reference.json.new" "$dir/$image.mrboot-reference.json"
    dinfo "mrboot: reference values in $dir/$image.mrboot-reference.json"
    if "$root$binary" "${args[@]}" --format rvps > "$dir/$image.rvps.json.new"; then
        mv -f "$dir/$image.rvps.json.new" "$dir/$image.rvps.json"
        for file in "$root"/usr/share/mrboot/trustee/*.rego "$root"/usr/local/share/mrboot/trustee/*.rego; do
            [[ -f $file ]] && cp -f "$file" "$dir/"
        done
        dinfo "mrboot: Trustee's reference values in $dir/$image.rvps.json"
    else
        rm -f "$dir/$image.rvps.json.new"
    fi
}

# called by dracut
check() {
    mrboot_binary > /dev/null || {
        dinfo "dracut module 'mrboot' will not be installed: no mrboot in $(mrboot_root)/usr/sbin"
        return 1
    }
    mrboot_unit > /dev/null || {
        dinfo "dracut module 'mrboot' will not be installed: no mrboot.service"
        return 1
    }
    # A configured mrboot belongs in every initrd; an unconfigured one only on request
    # (--add mrboot, add_dracutmodules+=" mrboot ").
    [[ -f "$(mrboot_root)/etc/mrboot.conf" ]] && return 0
    return 255
}

# called by dracut
depends() {
    local deps="systemd crypt"
    # The broker is reached over the network: dracut's network module picks the initrd's
    # network manager (systemd-networkd where nothing else is installed). A broker named only
    # on the kernel command line (mrboot.kbs.url=) is not seen here: add network yourself.
    [[ -n "$(mrboot_conf_get kbs url)" ]] && deps+=" network"
    echo "$deps"
    return 0
}

# called by dracut
installkernel() {
    # configfs-tsm reports: the module is tsm before Linux 6.16 and tsm_report since; the
    # report providers of each platform; dm-crypt and dm-verity for the volumes mrboot
    # unlocks and the root hashes it measures. A module this kernel lacks is skipped.
    hostonly='' instmods configfs tsm tsm_report tdx_guest sev_guest arm_cca_guest \
        dm_crypt dm_verity
    # TPM drivers, where they are modules rather than built in.
    hostonly='' instmods tpm_crb tpm_tis tpm_tis_core
    return 0
}

# called by dracut
install() {
    local root anchor file binary
    root=$(mrboot_root)
    binary=$(mrboot_binary)

    inst_simple "$root$binary" "$binary"
    inst_simple "$(mrboot_unit)" "$systemdsystemunitdir/mrboot.service"
    $SYSTEMCTL -q --root "$initdir" enable mrboot.service

    if [[ -f $root/etc/mrboot.conf ]]; then
        inst_simple "$root/etc/mrboot.conf" /etc/mrboot.conf
    else
        dwarn "mrboot: no $root/etc/mrboot.conf: the initrd has mrboot's defaults only"
    fi
    # Trust anchors: [kbs] ca-file, else the default; and whatever else is in /etc/mrboot.
    anchor=$(mrboot_conf_get kbs ca-file | tail -n 1)
    anchor=${anchor:-/etc/mrboot/kbs-ca.pem}
    if [[ -f $root$anchor ]]; then
        inst_simple "$root$anchor" "$anchor"
    elif [[ -n "$(mrboot_conf_get kbs url)" ]]; then
        dwarn "mrboot: no trust anchor $root$anchor: the broker's certificate cannot be checked"
    fi
    if [[ -d $root/etc/mrboot ]]; then
        for file in "$root"/etc/mrboot/*; do
            [[ -f $file ]] && inst_simple "$file" "/etc/mrboot/${file##*/}"
        done
    fi
    # cryptsetup(8): mrboot opens a volume whose broker resource names its identity itself,
    # with the volume key it checked (mrboot(1), VOLUME IDENTITY). dracut's crypt module
    # installs only systemd-cryptsetup in a systemd initrd (modules.d/90crypt, dracut 059).
    if [[ -n "$(mrboot_conf_get unlock volume)" ]]; then
        inst_multiple cryptsetup ||
            dwarn "mrboot: no cryptsetup here: volumes with an identity cannot be opened"
    fi
    # systemd-cryptsetup tries every LUKS2 token through libcryptsetup before it asks for a
    # passphrase: with the plugin here, a volume enrolled with `mrboot enroll` opens without
    # any crypttab option. inst_library brings the libraries it links; its configuration and
    # trust anchors are the ones installed above.
    if file=$(mrboot_token_plugin); then
        inst_library "$root$file" "$file" ||
            dwarn "mrboot: the token plugin $root$file could not be installed"
    fi
    # The files the configuration measures are measured as the initrd has them.
    while read -r file; do
        [[ -n $file ]] || continue
        if [[ -f $root$file ]]; then
            inst_simple "$root$file" "$file"
        else
            dwarn "mrboot: [measure] file $file is not in $root: it will be measured as absent"
        fi
    done < <(mrboot_conf_get measure file)
    mrboot_reference "$root" "$binary"
}
