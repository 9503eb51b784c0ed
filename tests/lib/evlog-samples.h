/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Event logs written by hand for the evlog tests, as hex, field by field. The digests and the
 * register values were computed with Python's hashlib and struct (not with mrboot's code):
 * AAEL body = struct.pack('<II', 0x4141454C, len(text)) + text, digest = sha384(body),
 * register = sha384(register || digest) from 48 zero bytes.
 */
#ifndef MRBOOT_TESTS_EVLOG_SAMPLES_H
#define MRBOOT_TESTS_EVLOG_SAMPLES_H

/* TCG_PCR_EVENT: PCR 0, EV_NO_ACTION, 20 zero bytes of SHA-1 digest, 33 bytes of event. */
#define SPEC_ID_HEADER                             \
	"00000000"                                 \
	"03000000"                                 \
	"0000000000000000000000000000000000000000" \
	"21000000"
/* The same with 37 bytes of event: a table of two algorithms. */
#define SPEC_ID_HEADER_37                          \
	"00000000"                                 \
	"03000000"                                 \
	"0000000000000000000000000000000000000000" \
	"25000000"
/* TCG_EfiSpecIDEvent: "Spec ID Event03\0", platformClass 0, version 2.0 errata 0, uintnSize 2 */
#define SPEC_ID_FIXED                      \
	"53706563204944204576656e74303300" \
	"00000000"                         \
	"00020002"
/* A CCEL's Spec ID event (65 bytes): one algorithm, SHA-384 (0x000c) of 48 bytes. */
#define SPEC_ID_SHA384                      \
	SPEC_ID_HEADER                      \
	SPEC_ID_FIXED                       \
	"01000000" /* numberOfAlgorithms */ \
	"0c003000" /* SHA-384, 48 bytes */  \
	"00"	   /* no vendor info */
/* A TPM log's (65 bytes): SHA-256 (0x000b) of 32 bytes. */
#define SPEC_ID_SHA256                      \
	SPEC_ID_HEADER                      \
	SPEC_ID_FIXED                       \
	"01000000" /* numberOfAlgorithms */ \
	"0b002000" /* SHA-256, 32 bytes */  \
	"00"	   /* no vendor info */

/* Record 1 at byte 65: CC 1 (RTMR0), EV_EVENT_TAG, one SHA-384 digest; 129 bytes. */
#define CCEL_RECORD_1                                                                      \
	"01000000"                                                                         \
	"06000000"                                                                         \
	"01000000"                                                                         \
	"0c00"                                                                             \
	"bdb4b30cf1079da4ada33eb7cee5326e42cb18e5d0419c69bc5a18a5d3f043b7aed6a742ac7c3a09" \
	"ab59dbdde201bd43"                                                                 \
	"3f000000"                                                                         \
	"4c45414137000000" /* mrboot kernel-cmdline {"cmdline":"console=ttyS0 quiet"} */   \
	"6d72626f6f74206b65726e656c2d636d646c696e65207b22636d646c696e65223a22636f6e736f6c" \
	"653d7474795330207175696574227d"
/* Record 2 at byte 194: CC 3 (RTMR2), EV_EVENT_TAG; 115 bytes. */
#define CCEL_RECORD_2                                                                      \
	"03000000"                                                                         \
	"06000000"                                                                         \
	"01000000"                                                                         \
	"0c00"                                                                             \
	"9f523bfce749d7b7d49301c6deb5f8b925f03024397932ce529ef7a7833e493fdd50ad7555a1209e" \
	"59f7c480da35075d"                                                                 \
	"31000000"                                                                         \
	"4c45414129000000" /* mrboot config {"path":"/etc/mrboot.conf"} */                 \
	"6d72626f6f7420636f6e666967207b2270617468223a222f6574632f6d72626f6f742e636f6e6622" \
	"7d"
/*
 * Record 3 at byte 309: CC 3, EV_SEPARATOR, the digest of 4 zero bytes (the same value as the
 * separators in Trustee's CCEL_AAEL_alibabacloud test log); 70 bytes. The log ends at 379.
 */
#define CCEL_RECORD_3                                                                      \
	"03000000"                                                                         \
	"04000000"                                                                         \
	"01000000"                                                                         \
	"0c00"                                                                             \
	"394341b7182cd227c5c6b07ef8000cdfd86136c4292b8e576573ad7ed9ae41019f5818b4b971c9ef" \
	"fc60e1ad9f1289f0"                                                                 \
	"04000000"                                                                         \
	"00000000"
#define CCEL_LOG SPEC_ID_SHA384 CCEL_RECORD_1 CCEL_RECORD_2 CCEL_RECORD_3
#define CCEL_LOG_SIZE 379
/* As the ACPI table shows it: the log, then unused space of 0xFF. */
#define CCEL_TABLE CCEL_LOG "ffffffffffffffffffffffffffffffff"

#define CCEL_RTMR0                                                                         \
	"a10b07cfbd826c9a205d2bfabf70ecfb51631bcd487a3f70519baee712fdaaaa809588eb2779a11f" \
	"d27c4c94602c7965"
#define CCEL_RTMR2                                                                         \
	"eeea038d4783f3e58504ac84fd56f46fbf0e8c3a8a4b64b7f99782bf7d52c002443cf1a8a7a50832" \
	"3715c192794dc4db"

#endif
