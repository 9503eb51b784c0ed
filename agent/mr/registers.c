/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "mr/registers.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/error.h"

const char *mr_family_name(enum mr_family family)
{
	static const char *const names[] = {
		[MR_FAMILY_TPM] = "tpm",
		[MR_FAMILY_TDX] = "tdx",
		[MR_FAMILY_CCA] = "cca",
		[MR_FAMILY_NONE] = "none",
	};

	return names[family];
}

int registers_open_tsm(struct registers *r, const struct tsm_mr *group, struct error *e)
{
	const struct tsm_mr_register *reg;

	*r = (struct registers){ .family = group->family, .tsm = *group };
	/* CC index 1..4 is register 0..3; all four must be there and share one algorithm. */
	for (int i = 0; i < 4; i++) {
		reg = tsm_mr_find(group, i);
		if (!reg)
			return error_set(e, -ENOENT, "%s has no extensible register with index %d",
					 group->sysfs, i);
		if (i > 0 && reg->alg != r->banks[0])
			return error_set(e, -EINVAL, "%s: %s uses %s, the others %s", group->sysfs,
					 reg->file, hash_info(reg->alg)->name,
					 hash_info(r->banks[0])->name);
		r->banks[0] = reg->alg;
	}
	r->n_banks = 1;
	return 0;
}

int registers_open_tpm(struct registers *r, struct tpm2 *tpm, struct error *e)
{
	struct tpm2_banks banks;
	int k;

	*r = (struct registers){ .family = MR_FAMILY_TPM, .tpm = tpm };
	k = tpm2_get_banks(tpm, &banks, e);
	if (k < 0)
		return k;
	for (unsigned i = 0; i < banks.count; i++) {
		const struct tpm2_bank *b = &banks.bank[i];
		const char *name = tpm2_alg_name(b->alg_id);

		if (!b->supported)
			return error_set(
				e, -EOPNOTSUPP,
				"the TPM has a %s bank (TPM_ALG_ID 0x%04x) allocated, which "
				"mrboot cannot extend; deallocate it (tpm2_pcrallocate)",
				name ? name : "unknown", b->alg_id);
		if (r->n_banks == MR_BANKS_MAX)
			return error_set(e, -E2BIG, "the TPM has more than %d banks", MR_BANKS_MAX);
		r->banks[r->n_banks++] = b->alg;
	}
	if (r->n_banks == 0)
		return error_set(e, -ENOENT, "the TPM has no PCR bank allocated");
	return 0;
}

void registers_open_none(struct registers *r)
{
	*r = (struct registers){ .family = MR_FAMILY_NONE, .n_banks = 1, .banks = { HASH_SHA384 } };
}

unsigned mr_cc_index_for_pcr(unsigned pcr)
{
	if (pcr == 1 || pcr == 7)
		return 1;
	if (pcr >= 2 && pcr <= 6)
		return 2;
	if (pcr >= 8 && pcr <= 15)
		return 3;
	return 4;
}

unsigned registers_index_for_pcr(const struct registers *r, unsigned pcr)
{
	if (r->family == MR_FAMILY_TPM || r->family == MR_FAMILY_NONE)
		return pcr;
	return mr_cc_index_for_pcr(pcr) - 1;
}

void mr_register_name(enum mr_family family, unsigned index, char *out, size_t size)
{
	static const char *const prefix[] = {
		[MR_FAMILY_TPM] = "pcr",
		[MR_FAMILY_TDX] = "rtmr",
		[MR_FAMILY_CCA] = "rem",
		[MR_FAMILY_NONE] = "log-pcr",
	};

	snprintf(out, size, "%s%u", prefix[family], index);
}

void registers_name(const struct registers *r, unsigned index, char *out, size_t size)
{
	mr_register_name(r->family, index, out, size);
}

static int registers_read_tpm(struct registers *r, unsigned index, struct mr_digests *out,
			      struct error *e)
{
	*out = (struct mr_digests){ .count = r->n_banks };
	for (unsigned i = 0; i < r->n_banks; i++) {
		const struct hash_info *info = hash_info(r->banks[i]);
		size_t n;
		int k;

		out->bank[i].alg = r->banks[i];
		k = tpm2_pcr_read(r->tpm, index, info->tcg_id, out->bank[i].digest,
				  sizeof(out->bank[i].digest), &n, e);
		if (k < 0)
			return k;
		if (n != info->size)
			return error_set(e, -EBADMSG, "PCR %u %s: %zu bytes", index, info->name, n);
	}
	return 0;
}

int registers_read(struct registers *r, unsigned index, struct mr_digests *out, struct error *e)
{
	const struct tsm_mr_register *reg;
	size_t n;
	int k;

	if (r->family == MR_FAMILY_NONE)
		return error_set(e, -EOPNOTSUPP, "this platform has no register to read");
	if (r->family == MR_FAMILY_TPM)
		return registers_read_tpm(r, index, out, e);
	reg = tsm_mr_find(&r->tsm, (int)index);
	*out = (struct mr_digests){ .count = 1 };
	if (!reg)
		return error_set(e, -ENOENT, "%s has no register with index %u", r->tsm.sysfs,
				 index);
	out->bank[0].alg = reg->alg;
	k = tsm_mr_read(&r->tsm, reg, out->bank[0].digest, sizeof(out->bank[0].digest), &n, e);
	return k < 0 ? k : 0;
}

int registers_extend(struct registers *r, unsigned index, const struct mr_digests *digests,
		     struct error *e)
{
	const struct tsm_mr_register *reg;

	if (r->family == MR_FAMILY_NONE)
		return error_set(e, -EOPNOTSUPP, "this platform has no register to extend");
	if (r->family == MR_FAMILY_TPM) {
		if (digests->count != r->n_banks)
			return error_set(e, -EINVAL, "PCR %u takes one digest per bank (%u)", index,
					 r->n_banks);
		return tpm2_pcr_extend(r->tpm, index, digests, e);
	}
	reg = tsm_mr_find(&r->tsm, (int)index);

	if (!reg)
		return error_set(e, -ENOENT, "%s has no register with index %u", r->tsm.sysfs,
				 index);
	if (digests->count != 1 || digests->bank[0].alg != reg->alg)
		return error_set(e, -EINVAL, "%s takes one %s digest", reg->file,
				 hash_info(reg->alg)->name);
	return tsm_mr_extend(&r->tsm, reg, digests->bank[0].digest, e);
}

void registers_after(const struct mr_digests *before, const struct mr_digests *digests,
		     struct mr_digests *after)
{
	*after = (struct mr_digests){ .count = before->count };
	for (unsigned i = 0; i < before->count; i++) {
		const struct mr_bank_digest *d = NULL;
		size_t size = hash_info(before->bank[i].alg)->size;
		struct hash_ctx ctx;

		for (unsigned j = 0; j < digests->count && !d; j++)
			if (digests->bank[j].alg == before->bank[i].alg)
				d = &digests->bank[j];
		after->bank[i].alg = before->bank[i].alg;
		if (!d) {
			/* A bank the extend does not carry keeps its value. */
			memcpy(after->bank[i].digest, before->bank[i].digest, size);
			continue;
		}
		hash_init(&ctx, before->bank[i].alg);
		hash_update(&ctx, before->bank[i].digest, size);
		hash_update(&ctx, d->digest, size);
		hash_final(&ctx, after->bank[i].digest);
	}
}

bool mr_digests_equal(const struct mr_digests *a, const struct mr_digests *b)
{
	if (a->count != b->count)
		return false;
	for (unsigned i = 0; i < a->count; i++)
		if (a->bank[i].alg != b->bank[i].alg ||
		    memcmp(a->bank[i].digest, b->bank[i].digest, hash_info(a->bank[i].alg)->size) !=
			    0)
			return false;
	return true;
}
