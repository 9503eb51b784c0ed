# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Trustee resource policy to go with mrboot-attestation.rego: a resource is released only to
# an affirming appraisal whose executables claim is mrboot's (3: one of the accepted images),
# and only from the KBS's own resource plugin. Trustee's shipped default releases to any TEE
# its verifier accepts, whatever the appraisal says.
#   kbs-client --url URL config set-resource-policy --policy-file THIS

package policy

import rego.v1

default allow := false

allow if {
	data.plugin == "resource"
	count(input.submods) > 0
	every _, submod in input.submods {
		submod["ear.status"] == "affirming"
		submod["ear.trustworthiness-vector"].executables == 3
	}
}
