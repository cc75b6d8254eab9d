/* SPDX-License-Identifier: MIT */
/*
 * The chunk hash that names image blobs (img/, store.h): SHA-256 of a
 * header and of the SHA-256 of every 1 MiB chunk. A chunk that lies in a
 * hole is known to read as zeros, so its digest is computed once and the
 * chunk is neither read nor hashed; the other chunks are hashed on up to
 * @jobs threads, each reading its own contiguous run of chunks. Putting
 * an image into the store copies it and hashes the source's chunks in
 * the same pass, so the copy is not read back.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "io/copy.h"
#include "store/store-int.h"

/* Chunks hashed per round: the digests of one round are kept in memory
 * (128 KiB), whatever the image's size. */
#define ROUND_CHUNKS 4096u

static const char img_magic[16] = "kiln image blob";

struct chunk_job {
	int fd, dst;             /* dst: copy the data ranges there too (-1: none) */
	uint64_t base, size;     /* the image: @size bytes at @base of @fd */
	uint64_t first, n;       /* chunks [first, first + n) */
	uint8_t (*digest)[SHA256_LEN];   /* digest[i - round start] */
	uint64_t round_first;
	const uint8_t *zero_digest;      /* of a whole chunk of zeros */
	int err;
};

/*
 * True if [@cs, @ce) holds data. [*dat, *hol) caches the last data range
 * SEEK_DATA/SEEK_HOLE reported at or after an earlier chunk, so a run of
 * data chunks costs two lseeks, not two per chunk. Without SEEK_DATA
 * everything is data.
 */
static bool has_data(int fd, uint64_t cs, uint64_t ce, uint64_t size, uint64_t *dat,
		     uint64_t *hol)
{
	off_t d, h;

	if (cs < *dat)
		return *dat < ce;
	if (cs < *hol)
		return true;
	d = lseek(fd, (off_t)cs, SEEK_DATA);
	if (d < 0) {
		if (errno == ENXIO) {
			*dat = *hol = size;
			return false;
		}
		*dat = 0;
		*hol = size;
		return true;
	}
	h = lseek(fd, d, SEEK_HOLE);
	if (h < 0 || (uint64_t)h > size)
		h = (off_t)size;
	*dat = (uint64_t)d;
	*hol = (uint64_t)h;
	return (uint64_t)d < ce;
}

static int read_full(int fd, uint8_t *buf, size_t len, uint64_t off)
{
	while (len) {
		ssize_t n = pread(fd, buf, len, (off_t)off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO; /* shorter than fstat said */
		buf += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static void *hash_chunks(void *arg)
{
	struct chunk_job *j = arg;
	uint64_t dat = 0, hol = 0;
	const uint64_t end = j->base + j->size;
	uint8_t *buf = malloc(STORE_IMG_CHUNK);

	if (!buf) {
		j->err = -ENOMEM;
		return NULL;
	}
	for (uint64_t i = j->first; !j->err && i < j->first + j->n; i++) {
		uint64_t cs = j->base + i * STORE_IMG_CHUNK, ce = cs + STORE_IMG_CHUNK;
		uint8_t *out = j->digest[i - j->round_first];

		if (ce > end)
			ce = end;
		if (ce - cs == STORE_IMG_CHUNK && !has_data(j->fd, cs, ce, end, &dat, &hol)) {
			memcpy(out, j->zero_digest, SHA256_LEN);
			continue;
		}
		/* A chunk partly in a hole is read whole: the kernel clears
		 * the hole's part, at most one chunk per hole edge. */
		j->err = read_full(j->fd, buf, (size_t)(ce - cs), cs);
		if (!j->err)
			j->err = sha256_buf(buf, (size_t)(ce - cs), out);
		if (!j->err && j->dst >= 0)
			/* Its data ranges only: holes stay holes. */
			j->err = io_copy_data(j->dst, cs - j->base, j->fd, cs, ce - cs);
	}
	free(buf);
	return NULL;
}

/* Hash chunks [@first, @first + @n) into @digest on up to @jobs threads. */
static int hash_round(struct chunk_job *tmpl, uint64_t first, uint64_t n, unsigned jobs)
{
	struct chunk_job job[STORE_IMG_MAX_JOBS];
	pthread_t tid[STORE_IMG_MAX_JOBS];
	unsigned started = 0, nj;
	int err = 0;

	/* Threads only pay for themselves on runs of many chunks. */
	nj = n < 8 ? 1 : jobs;
	if (nj > n)
		nj = (unsigned)n;
	for (unsigned t = 0; t < nj; t++) {
		job[t] = *tmpl;
		job[t].round_first = first;
		job[t].first = first + n * t / nj;
		job[t].n = first + n * (t + 1) / nj - job[t].first;
		job[t].err = 0;
	}
	/* Job 0 runs in the caller; a thread that cannot start is run
	 * there too. */
	for (unsigned t = 1; t < nj; t++) {
		if (pthread_create(&tid[t], NULL, hash_chunks, &job[t]))
			break;
		started = t;
	}
	hash_chunks(&job[0]);
	for (unsigned t = started + 1; t < nj; t++)
		hash_chunks(&job[t]);
	for (unsigned t = 1; t <= started; t++)
		pthread_join(tid[t], NULL);
	for (unsigned t = 0; t < nj && !err; t++)
		err = job[t].err;
	return err;
}

int store_image_hash(int fd, unsigned jobs, uint8_t ret_hash[SHA256_LEN], uint64_t *ret_len)
{
	struct stat st;
	int ret;

	if (fstat(fd, &st))
		return -errno;
	ret = store_image_hash_range(fd, 0, (uint64_t)st.st_size, -1, jobs, ret_hash);
	if (!ret && ret_len)
		*ret_len = (uint64_t)st.st_size;
	return ret;
}

int store_image_hash_range(int fd, uint64_t off, uint64_t size, int dst, unsigned jobs,
			   uint8_t ret_hash[SHA256_LEN])
{
	uint8_t zero_digest[SHA256_LEN], hdr[32], (*digest)[SHA256_LEN] = NULL, *zeros = NULL;
	struct chunk_job tmpl = { .fd = fd, .dst = dst, .base = off, .zero_digest = zero_digest };
	struct sha256_ctx top;
	uint64_t nchunks;
	int ret;

	nchunks = (size + STORE_IMG_CHUNK - 1) / STORE_IMG_CHUNK;
	if (jobs < 1)
		jobs = 1;
	if (jobs > STORE_IMG_MAX_JOBS)
		jobs = STORE_IMG_MAX_JOBS;
	zeros = calloc(1, STORE_IMG_CHUNK);
	digest = malloc(ROUND_CHUNKS * sizeof(*digest));
	if (!zeros || !digest) {
		ret = -ENOMEM;
		goto out;
	}
	ret = sha256_buf(zeros, STORE_IMG_CHUNK, zero_digest);
	if (ret)
		goto out;
	ret = sha256_init(&top);
	if (ret)
		goto out;
	/* Header: magic, size and chunk size (little-endian), so neither a
	 * truncation nor another chunking can give the same name. */
	memcpy(hdr, img_magic, 16);
	for (int i = 0; i < 8; i++) {
		hdr[16 + i] = (uint8_t)(size >> (8 * i));
		hdr[24 + i] = (uint8_t)((uint64_t)STORE_IMG_CHUNK >> (8 * i));
	}
	ret = sha256_update(&top, hdr, sizeof(hdr));
	tmpl.size = size;
	tmpl.digest = digest;
	for (uint64_t first = 0; !ret && first < nchunks; first += ROUND_CHUNKS) {
		uint64_t n = nchunks - first < ROUND_CHUNKS ? nchunks - first : ROUND_CHUNKS;

		ret = hash_round(&tmpl, first, n, jobs);
		if (!ret)
			ret = sha256_update(&top, digest, (size_t)n * SHA256_LEN);
	}
	if (!ret)
		ret = sha256_final(&top, ret_hash);
	sha256_release(&top);
out:
	free(digest);
	free(zeros);
	return ret;
}
