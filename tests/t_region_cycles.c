/*
 * t_region_cycles - 1000 create / write / close / open / unlink cycles of
 * shm: regions leave nothing behind: no file of ours in the shm
 * directory, no descriptor, no mapping.
 */
#include "region_util.h"

#define CYCLES 1000
#define SIZE (3 * 4096 + 17)

/* Files in the shm dir whose names start with ours (hidden ones too). */
static int ours_in_shm_dir(const char *prefix)
{
	DIR *d = opendir(mmipc_shm_dir());
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL, "opendir %s: %s", mmipc_shm_dir(), strerror(errno));
	while ((e = readdir(d)) != NULL) {
		const char *name = e->d_name;

		if (name[0] == '.')
			name++;
		if (strncmp(name, prefix, strlen(prefix)) == 0) {
			fprintf(stderr, "left behind: %s/%s\n",
				mmipc_shm_dir(), e->d_name);
			n++;
		}
	}
	closedir(d);
	return n;
}

int main(void)
{
	char prefix[64], name[256];
	struct ru_res before;
	int i;

	snprintf(prefix, sizeof(prefix), "%s%d-cyc", T_PREFIX, (int)getpid());
	/* one cycle first: whatever the C library sets up once is not ours */
	t_name(name, sizeof(name), "cyc");
	ru_make(name, SIZE, 0);
	ru_unlink(name);
	before = ru_res_now();
	for (i = 0; i < CYCLES; i++) {
		mmipc_region *r = NULL;
		uint8_t *d;

		t_name(name, sizeof(name), "cyc");
		CHECK_RC(mmipc_region_create(&r, name, SIZE, 0, 0), 0);
		d = mmipc_region_data(r);
		d[0] = (uint8_t)i;
		d[SIZE - 1] = (uint8_t)~i;
		CHECK_RC(mmipc_region_close(r), 0);
		CHECK_RC(mmipc_region_open(&r, name, MMIPC_KIND_RAW, 0), 0);
		d = mmipc_region_data(r);
		CHECK(d[0] == (uint8_t)i && d[SIZE - 1] == (uint8_t)~i,
		      "cycle %d: data lost", i);
		CHECK_RC(mmipc_region_unlink(name, 0), 0);
		/* still mapped after the unlink */
		d[1] = 1;
		CHECK_RC(mmipc_region_close(r), 0);
	}
	CHECK_RES(before, "after the cycles");
	CHECK(ours_in_shm_dir(prefix) == 0, "regions left in %s",
	      mmipc_shm_dir());
	return T_PASS;
}
