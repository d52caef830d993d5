/* SPDX-License-Identifier: MIT */
/*
 * test_fuzz.c - damaged logs must never crash the decoder.  Each seed
 * log (written by gen_log) is damaged 2000 times and run through the
 * whole pipeline in-process: read, finish, analyze, both reports and the
 * dump.  Half the rounds damage the file (byte flips, cuts, or both),
 * which mostly trips the zstd checksums; the other half damage the
 * records inside one chunk and compress them again, so the record
 * decoders see well-framed garbage.  Run it under
 * -fsanitize=address,undefined to catch what does not crash.
 *
 * usage: test_fuzz LOG...   (FUZZ_ROUNDS and FUZZ_SEED in the environment
 * change the number of rounds per log and the random seed)
 */
#include "analysis/analyze.h"
#include "log/log_read.h"
#include "log/timeline.h"
#include "report/dump.h"
#include "report/report.h"
#include "report/sites.h"

#include <whyslow/format.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define ROUNDS 2000

static uint64_t rng = 0x2545f4914f6cdd1dull;

static uint64_t next(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *d = malloc(*len);
    if (fread(d, 1, *len, f) != *len) *len = 0;
    fclose(f);
    return d;
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A copy of the log in[0..len) with the records of one chunk damaged
 * (bytes flipped, cut, or garbage appended) and compressed again with a
 * good checksum; its length goes to *outlen. */
static uint8_t *damage_records(const uint8_t *in, size_t len, size_t *outlen)
{
    static ZSTD_CCtx *cctx;
    if (!cctx) {
        cctx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
    }
    size_t cap = len * 2 + 4096, o = 24, off = 24, nchunks = 0;
    uint8_t *out = malloc(cap);
    memcpy(out, in, 24);
    for (size_t at = 24; at + 40 < len && le32(in + at) == WS_MAGIC_CHUNK;
         at += 40 + ZSTD_findFrameCompressedSize(in + at + 40, len - at - 40))
        nchunks++;
    size_t victim = nchunks ? next() % nchunks : 0;

    for (size_t i = 0; off + 40 < len && le32(in + off) == WS_MAGIC_CHUNK; i++) {
        struct ws_chunk_header h;
        memcpy(&h, in + off + 8, sizeof(h));
        size_t csize = ZSTD_findFrameCompressedSize(in + off + 40, len - off - 40);
        size_t rawcap = h.raw_size + 64;
        uint8_t *raw = malloc(rawcap);
        size_t n = ZSTD_decompress(raw, rawcap, in + off + 40, csize);
        if (i == victim && n > 0) {
            unsigned how = next() % 3;
            if (how == 0)
                for (int k = 1 + (int)(next() % 4); k > 0; k--)
                    raw[next() % n] ^= (uint8_t)(1 + next() % 255);
            else if (how == 1)
                n = next() % n;
            else
                for (int k = 0; k < 16; k++)
                    raw[n++] = (uint8_t)next();
        }
        h.raw_size = (uint32_t)n;
        memcpy(out + o, in + off, 8);
        memcpy(out + o + 8, &h, sizeof(h));
        size_t z = ZSTD_compress2(cctx, out + o + 40, cap - o - 40, raw, n);
        free(raw);
        o += 40 + z;
        off += 40 + csize;
    }
    memcpy(out + o, in + off, len - off); /* whatever follows, as it was */
    *outlen = o + len - off;
    return out;
}

/* The whole pipeline on one process read, which it frees. */
static void pipeline(void *sink_, struct ws_process *p)
{
    FILE *sink = sink_;
    timeline_finish(p);
    struct analysis a;
    struct analyze_opts opts = {.slow_ns = 1000000,
                                .nplus1_min = NPLUS1_MIN_DEFAULT,
                                .repeat_min = REPEAT_MIN_DEFAULT,
                                .stall_ns = 1000000};
    analyze(&a, &p, 1, &opts);
    struct findings fs;
    find_findings(&fs, &a);
    symbolize_report(&a, &fs);
    report_text(sink, &a, &fs);
    report_json(sink, &a, &fs);
    findings_free(&fs);
    analysis_free(&a);
    dump(sink, &p, 1);
    process_free(p);
}

/* Decodes and renders data[0..len), a log or a pack of them (recorded
 * with whyslow record); returns 1 if it was read as one. */
static int run(const uint8_t *data, size_t len, FILE *sink)
{
    struct ws_process *p;
    char err[256];
    if (len >= 24 && le32(data) == WS_MAGIC_PACK)
        return log_read_pack(data, len, "fuzz.wslog", pipeline, sink) > 0;
    if (log_read_mem(data, len, "fuzz.wslog", &p, err, sizeof(err)) != LOG_OK) return 0;
    pipeline(sink, p);
    return 1;
}

static int read_ok, damaged;

/* Damages seed[0..len) rounds times, running each through the pipeline. */
static void fuzz(const uint8_t *seed, size_t len, int rounds, FILE *sink)
{
    uint8_t *buf = malloc(len);
    for (int round = 0; round < rounds; round++) {
        if (round % 2) {
            size_t n;
            uint8_t *d = damage_records(seed, len, &n);
            read_ok += run(d, n, sink);
            damaged++;
            free(d);
            continue;
        }
        memcpy(buf, seed, len);
        size_t n = len;
        unsigned how = next() % 3;
        if (how != 1) { /* flip 1..8 bytes, mostly after the file header */
            int flips = 1 + (int)(next() % 8);
            for (int i = 0; i < flips; i++) {
                size_t at = round % 10 == 0 ? next() % n : 24 + next() % (n - 24);
                buf[at] ^= (uint8_t)(1 + next() % 255);
            }
        }
        if (how != 0) n = next() % (n + 1); /* cut */
        read_ok += run(buf, n, sink);
        damaged++;
    }
    free(buf);
}

int main(int argc, char **argv)
{
    int rounds = getenv("FUZZ_ROUNDS") ? atoi(getenv("FUZZ_ROUNDS")) : ROUNDS;
    if (getenv("FUZZ_SEED")) rng ^= strtoull(getenv("FUZZ_SEED"), NULL, 0) * 0x9e3779b97f4a7c15ull;
    FILE *sink = fopen("/dev/null", "w");
    for (int s = 1; s < argc; s++) {
        size_t len;
        uint8_t *seed = slurp(argv[s], &len);
        if (!seed || len < 64) {
            fprintf(stderr, "test_fuzz: %s: missing or too short\n", argv[s]);
            return 1;
        }
        if (!run(seed, len, sink)) {
            fprintf(stderr, "test_fuzz: %s: the seed itself does not decode\n", argv[s]);
            return 1;
        }
        fuzz(seed, len, rounds, sink);
        /* A pack (whyslow record's): each member, damaged as a log too. */
        if (le32(seed) == WS_MAGIC_PACK)
            for (size_t at = 24; at + 40 < len && le32(seed + at) == WS_MAGIC_MEMBER;) {
                uint64_t n;
                memcpy(&n, seed + at + 8, 8);
                at += 16;
                if (n < 64 || n > len - at) break;
                fuzz(seed + at, (size_t)n, rounds, sink);
                at += (size_t)n;
            }
        free(seed);
    }
    fclose(sink);
    printf("test_fuzz: %d damaged logs, %d read as logs, no crash\n", damaged, read_ok);
    return 0;
}
