# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Trustee attestation policy for images whose initrd runs mrboot: the `executables` claim is
# affirmed (3) only when the evidence shows one of the accepted images' mrboot measurements,
# as `mrboot predict --format rvps` wrote them into the RVPS before the image ever booted.
# Install it as the CPU policy the KBS evaluates (doc/trustee-reference-values.md):
#   kbs-client --url URL config set-attestation-policy --id default_cpu --policy-file THIS
#
# Reference values it reads (query_reference_value):
#   mrboot/images          the accepted images' names (one registration writes the whole list)
#   mrboot/IMAGE/TEE       per TEE (tdx, cca, tpm), a list of alternatives
#                          {"registers": {claim: value}, "events": [{domain, operation, content}]}
#   mr_td, xfam            TDX: the TD's firmware and features (not mrboot's to predict)
#   trusted_aks            TPM: the attestation keys' public parts, as the verifier reports them
#   cca_platform_ids       CCA: the accepted platform implementation ids (base64)
# The claim names and encodings are those of Trustee's verifiers (78962cd4): TDX RTMRs in lower
# hex under input.tdx.quote.body.rtmr_N, CCA REMs in standard base64 under
# input.cca.realm["cca-realm-extensible-measurements"], TPM SHA-256 PCRs in lower hex under
# input.tpm.pcrNN.

package policy

import rego.v1

default executables := 33

default hardware := 97

default configuration := 36

default file_system := 0

default instance_identity := 0

default runtime_opaque := 0

default storage_opaque := 0

default sourced_data := 0

trust_claims := {
	"executables": executables,
	"hardware": hardware,
	"configuration": configuration,
	"file-system": file_system,
	"instance-identity": instance_identity,
	"runtime-opaque": runtime_opaque,
	"storage-opaque": storage_opaque,
	"sourced-data": sourced_data,
}

# Every accepted image's alternatives for one TEE. An absent name is null: nothing to iterate.
alternatives(tee) := [alt |
	some image in query_reference_value("mrboot/images")
	some alt in query_reference_value(sprintf("mrboot/%s/%s", [image, tee]))
]

# mrboot's records in a TDX event log, in order: AAEL event tags of the mrboot domain.
mrboot_entries(log) := [entry |
	some entry in log
	entry.type_name == "EV_EVENT_TAG"
	entry.details.unicode_name == "AAEL"
	entry.details.data.domain == "mrboot"
]

# The log's mrboot records are exactly the expected events, in order, and each one's text is
# what was extended (the verifier replayed only the digests against the RTMRs).
events_are(log, expected) if {
	entries := mrboot_entries(log)
	count(entries) == count(expected)
	every i, want in expected {
		entries[i].digest_matches_event == true
		entries[i].details.data.operation == want.operation
		entries[i].details.data.content == want.content
	}
}

##### Intel TDX: the events from the CCEL, and the RTMRs predicted whole

executables := 3 if {
	input.tdx
	some alt in alternatives("tdx")
	every claim, value in alt.registers {
		input.tdx.quote.body[claim] == value
	}
	events_are(input.tdx.uefi_event_logs, alt.events)
}

hardware := 2 if {
	input.tdx
	input.tdx.quote.header.tee_type == "81000000"
	input.tdx.quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input.tdx.quote.body.mr_td in query_reference_value("mr_td")
	input.tdx.tcb_status == "UpToDate"
	input.tdx.collateral_expiration_status == "0"
}

configuration := 2 if {
	input.tdx
	input.tdx.td_attributes.debug == false
	input.tdx.quote.body.xfam in query_reference_value("xfam")
}

##### Arm CCA: no event log reaches Trustee, so the REMs alone, predicted whole

executables := 3 if {
	input.cca
	rems := input.cca.realm["cca-realm-extensible-measurements"]
	some alt in alternatives("cca")
	count(alt.registers) > 0
	every claim, value in alt.registers {
		rems[to_number(trim_prefix(claim, "rem"))] == value
	}
}

hardware := 2 if {
	input.cca
	input.cca.platform["cca-platform-implementation-id"] in query_reference_value("cca_platform_ids")
}

configuration := 0 if {
	input.cca
}

##### TPM: Trustee's verifier reports the SHA-256 PCRs and no log

executables := 3 if {
	input.tpm
	input.tpm.ak_public in query_reference_value("trusted_aks")
	some alt in alternatives("tpm")
	count(alt.registers) > 0
	every claim, value in alt.registers {
		input.tpm[claim] == value
	}
}

hardware := 2 if {
	input.tpm
}

configuration := 0 if {
	input.tpm
}
