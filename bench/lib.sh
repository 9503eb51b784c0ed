# Sourced by the benchmarks: the throughput table they print.
# throughput_table BYTES RESULTS: RESULTS holds lines "label|nanoseconds" (or "label|n/a");
# prints MB/s, seconds and the ratio to the "openssl dgst -sha256" row.
throughput_table() {
	awk -F'|' -v bytes="$1" '
		{ label[NR] = $1; ns[NR] = $2; if ($1 == "openssl dgst -sha256" && $2 != "n/a") ossl = $2 }
		END {
			printf "%-22s %10s %9s %12s\n", "tool", "MB/s", "seconds", "vs openssl"
			for (i = 1; i <= NR; i++) {
				if (ns[i] == "n/a") {
					printf "%-22s %10s %9s %12s\n", label[i], "n/a", "n/a", "n/a"
					continue
				}
				s = ns[i] / 1e9
				ratio = ossl ? sprintf("%.2fx", ossl / ns[i]) : "n/a"
				printf "%-22s %10.1f %9.3f %12s\n", label[i], bytes / s / 1e6, s, ratio
			}
		}' "$2"
}
