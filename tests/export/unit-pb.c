/* unit-pb: the protobuf writer of ingero-perfetto (export/perfetto_pb.c). */
#include <string.h>

#include "../unit.h"
#include "perfetto_pb.h"

static int eqb(const struct pb_buf *b, const char *hex)
{
	char s[1024] = "";
	for (size_t i = 0; i < b->len && i * 2 + 2 < sizeof s; i++)
		sprintf(s + 2 * i, "%02x", b->p[i]);
	if (strcmp(s, hex)) printf("  got %s want %s\n", s, hex);
	return !strcmp(s, hex);
}

int main(void)
{
	struct pb_buf b = { 0 };
	pb_varint(&b, 0); pb_varint(&b, 1); pb_varint(&b, 127); pb_varint(&b, 128); pb_varint(&b, 300);
	T_CHECK(eqb(&b, "00017f8001ac02"), "varint encodings 0 1 127 128 300");
	pb_clear(&b);
	pb_varint(&b, UINT64_MAX);
	T_CHECK(eqb(&b, "ffffffffffffffffff01"), "varint UINT64_MAX is 10 bytes");
	pb_clear(&b);
	pb_uint(&b, 8, 150);
	T_CHECK(eqb(&b, "409601"), "field 8 varint 150");
	pb_clear(&b);
	pb_fixed64(&b, 47, 0x0102030405060708ull);
	T_CHECK(eqb(&b, "f9020807060504030201"), "flow_ids (47) as fixed64, wire type 1, little endian");
	pb_clear(&b);
	pb_str(&b, 2, "hi");
	T_CHECK(eqb(&b, "12026869"), "string field");
	pb_clear(&b);
	size_t m = pb_begin(&b, 11);
	pb_uint(&b, 9, 1);
	pb_end(&b, m);
	T_CHECK(eqb(&b, "5a024801"), "nested message with short length");
	pb_clear(&b);
	m = pb_begin(&b, 1);
	for (int i = 0; i < 100; i++) pb_uint(&b, 1, 1);  /* 200 bytes body */
	pb_end(&b, m);
	T_CHECK(b.len == 203 && b.p[0] == 0x0a && b.p[1] == 0xc8 && b.p[2] == 0x01 && b.p[3] == 0x08,
		"nested message longer than 127 bytes gets a 2-byte length and the body moves");
	pb_clear(&b);
	m = pb_begin(&b, 1);
	size_t m2 = pb_begin(&b, 2);
	for (int i = 0; i < 70; i++) pb_uint(&b, 1, 1);
	pb_end(&b, m2);
	pb_end(&b, m);
	T_CHECK(b.len == 146 && b.p[1] == 0x8f && b.p[2] == 0x01 && b.p[3] == 0x12 && b.p[4] == 0x8c && b.p[5] == 0x01,
		"two nested levels with multi-byte lengths");
	pb_clear(&b);
	pb_double(&b, 44, 1.5);
	T_CHECK(eqb(&b, "e102000000000000f83f"), "double_counter_value (44) as fixed64");
	pb_free(&b);
	T_DONE();
}
