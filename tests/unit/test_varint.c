/* SPDX-License-Identifier: MIT */
/*
 * test_varint.c - the varint and zigzag helpers of format.h: round trips
 * at the edges, and varints that run past their buffer or past 64 bits.
 */
#include "check.h"

#include <whyslow/format.h>

static void round_trip_uv(uint64_t v, size_t want_len)
{
    uint8_t buf[WS_VARINT_MAX];
    uint8_t *end = ws_put_uv(buf, v);
    CHECK_U64(end - buf, want_len);
    const uint8_t *p = buf;
    uint64_t got = ~v;
    CHECK(ws_get_uv(&p, end, &got) == 0);
    CHECK_U64(got, v);
    CHECK(p == end);
    /* Every strict prefix is a truncated varint. */
    for (size_t cut = 0; cut < want_len; cut++) {
        p = buf;
        CHECK(ws_get_uv(&p, buf + cut, &got) == -1);
        CHECK(p == buf);
    }
}

static void round_trip_sv(int64_t v)
{
    uint8_t buf[WS_VARINT_MAX];
    uint8_t *end = ws_put_uv(buf, ws_zigzag(v));
    const uint8_t *p = buf;
    uint64_t u = 0;
    CHECK(ws_get_uv(&p, end, &u) == 0);
    CHECK(ws_unzigzag(u) == v);
}

int main(void)
{
    round_trip_uv(0, 1);
    round_trip_uv(1, 1);
    round_trip_uv(127, 1);
    round_trip_uv(128, 2);
    round_trip_uv(16383, 2);
    round_trip_uv(16384, 3);
    round_trip_uv(INT64_MAX, 9);
    round_trip_uv(UINT64_MAX, 10);

    CHECK_U64(ws_zigzag(0), 0);
    CHECK_U64(ws_zigzag(-1), 1);
    CHECK_U64(ws_zigzag(1), 2);
    CHECK_U64(ws_zigzag(INT64_MAX), UINT64_MAX - 1);
    CHECK_U64(ws_zigzag(INT64_MIN), UINT64_MAX);
    int64_t edges[] = {0, 1, -1, 63, -64, 64, -65, INT32_MAX, INT32_MIN, INT64_MAX, INT64_MIN};
    for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
        round_trip_sv(edges[i]);

    /* Eleven continuation bytes: longer than any 64-bit varint. */
    uint8_t endless[11];
    memset(endless, 0x80, sizeof(endless));
    const uint8_t *p = endless;
    uint64_t v;
    CHECK(ws_get_uv(&p, endless + sizeof(endless), &v) == -1);
    /* An empty buffer. */
    p = endless;
    CHECK(ws_get_uv(&p, endless, &v) == -1);
    CHECK_DONE();
}
