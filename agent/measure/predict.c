/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "measure/predict.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "basic/error.h"
#include "basic/macro.h"
#include "evlog/firmware.h"
#include "evlog/record.h"

/* The TPM banks of "tpm:sha1,sha256": each a hash mrboot has, none twice. */
static int predict_tpm_banks(const char *list, struct registers *regs, struct error *e)
{
	char name[16];

	regs->n_banks = 0;
	while (*list) {
		size_t n = strcspn(list, ",");
		enum hash_alg alg;

		if (n == 0 || n >= sizeof(name))
			return error_set(e, -EINVAL, "tpm banks: an empty or overlong name");
		memcpy(name, list, n);
		name[n] = '\0';
		if (hash_alg_from_name(name, &alg) < 0)
			return error_set(e, -EINVAL,
					 "tpm banks: '%s' is not sha1, sha256, sha384 "
					 "or sha512",
					 name);
		for (unsigned i = 0; i < regs->n_banks; i++)
			if (regs->banks[i] == alg)
				return error_set(e, -EINVAL, "tpm banks: %s twice", name);
		if (regs->n_banks == MR_BANKS_MAX)
			return error_set(e, -EINVAL, "tpm banks: more than %d", MR_BANKS_MAX);
		regs->banks[regs->n_banks++] = alg;
		list += n + (list[n] == ',');
	}
	if (regs->n_banks == 0)
		return error_set(e, -EINVAL, "tpm banks: none named");
	return 0;
}

int predict_layout(const char *name, struct registers *regs, struct error *e)
{
	static const struct {
		const char *name;
		enum mr_family family;
		enum hash_alg alg;
	} layouts[] = {
		{ "tdx", MR_FAMILY_TDX, HASH_SHA384 },
		{ "cca-sha256", MR_FAMILY_CCA, HASH_SHA256 },
		{ "cca-sha512", MR_FAMILY_CCA, HASH_SHA512 },
		{ "tpm", MR_FAMILY_TPM, HASH_SHA256 },
		{ "sev-snp", MR_FAMILY_NONE, HASH_SHA384 },
	};

	*regs = (struct registers){ 0 };
	if (strncmp(name, "tpm:", 4) == 0) {
		regs->family = MR_FAMILY_TPM;
		return predict_tpm_banks(name + 4, regs, e);
	}
	for (size_t i = 0; i < ARRAY_SIZE(layouts); i++)
		if (strcmp(name, layouts[i].name) == 0) {
			*regs = (struct registers){ .family = layouts[i].family,
						    .n_banks = 1,
						    .banks = { layouts[i].alg } };
			return 0;
		}
	return error_set(e, -EINVAL,
			 "platform '%s' is not tdx, cca-sha256, cca-sha512, tpm[:BANK,...] or "
			 "sev-snp",
			 name);
}

static struct predict_register *predict_register(struct predict *p, unsigned index)
{
	struct predict_register *pr;

	for (unsigned i = 0; i < p->n_registers; i++)
		if (p->registers[i].index == index)
			return &p->registers[i];
	if (p->n_registers == ARRAY_SIZE(p->registers))
		return NULL;
	pr = &p->registers[p->n_registers++];
	*pr = (struct predict_register){ .index = index };
	registers_name(&p->layout, index, pr->name, sizeof(pr->name));
	return pr;
}

/* Registers in index order, as replay lists them. */
static void predict_sort(struct predict *p)
{
	for (unsigned i = 1; i < p->n_registers; i++)
		for (unsigned j = i; j > 0 && p->registers[j - 1].index > p->registers[j].index;
		     j--) {
			struct predict_register t = p->registers[j];

			p->registers[j] = p->registers[j - 1];
			p->registers[j - 1] = t;
		}
}

int predict_run(struct predict *p, const struct registers *layout, const struct measure_plan *plan,
		const struct evlog_firmware *firmware, struct error *e)
{
	const char *data = firmware ? firmware->data : NULL;
	size_t len = firmware ? firmware->len : 0;
	int r;

	*p = (struct predict){ .layout = *layout, .n_events = plan->count };
	for (unsigned i = 0; i < plan->count; i++) {
		const struct record_event *ev = &plan->ev[i];
		struct predict_register *pr;
		struct mr_digests next;

		r = record_event_digests(ev, layout->family, layout->banks, layout->n_banks,
					 &p->digests[i], e);
		if (r < 0)
			return error_prefix(e, "%s %s", ev->domain, ev->operation);
		p->index[i] = registers_index_for_pcr(layout, ev->pcr);
		if (layout->family == MR_FAMILY_NONE)
			continue; /* logged only: no register to predict */
		pr = predict_register(p, p->index[i]);
		if (!pr)
			return error_set(e, -E2BIG, "more than %zu registers",
					 ARRAY_SIZE(p->registers));
		if (pr->events == 0) {
			r = replay_firmware_base(layout, pr->index, data, len, &pr->value,
						 &pr->firmware_events, e);
			if (r < 0)
				return error_prefix(e, "%s: %s", pr->name, firmware->path);
			pr->complete = data != NULL;
		}
		registers_after(&pr->value, &p->digests[i], &next);
		pr->value = next;
		pr->events++;
	}
	predict_sort(p);
	return 0;
}
