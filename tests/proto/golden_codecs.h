/*
 * What the hand-written writers that the proto codecs replaced produced,
 * captured from them (main before issue 18) for representative inputs:
 * tests/proto/check_codecs.c asserts that the codecs write the same bytes.
 *
 * Proofs (registry/proof_json.c, reg_proof_json()): case c has leaf hash
 * bytes i * 7 + c and hash i's bytes i * 31 + k * 3 + c (k the byte's
 * place); the inputs are in check_codecs.c's table.
 * Chains (tracer/tracerd/tracerd_out.c, chain_doc()): one hop sent; one
 * acknowledged through a hub and overdue; three hops ending in a diversion
 * with a detail of two lines, quotes and a non-ASCII letter; a refusal
 * without a problem document (http-503); a hop not followed.
 * The witness's status (tracer/tracerd/tracerd_witness.c, stat_done() and
 * peer_json()): no peers; one cosigned; three (cosigned, forked, never).
 */
#ifndef TESTS_PROTO_GOLDEN_CODECS_H
#define TESTS_PROTO_GOLDEN_CODECS_H

static const char *const golden_proofs[] = {
	"{\"index\": 0, \"size\": 1, \"leaf_hash\": \"AAcOFRwjKjE4P0ZNVFtia"
	"XB3foWMk5qhqK+2vcTL0tk=\", \"hashes\": []}",
	"{\"old_size\": 0, \"new_size\": 1, \"hashes\": []}",
	"{\"index\": 7, \"size\": 12, \"leaf_hash\": \"AQgPFh0kKzI5QEdOVVxj"
	"anF4f4aNlJuiqbC3vsXM09o=\", \"hashes\": [\"AQQHCg0QExYZHB8iJSgrLjE"
	"0Nzo9QENGSUxPUlVYW14=\", \"ICMmKSwvMjU4Oz5BREdKTVBTVllcX2JlaGtucXR"
	"3en0=\", \"P0JFSEtOUVRXWl1gY2ZpbG9ydXh7foGEh4qNkJOWmZw=\"]}",
	"{\"old_size\": 8, \"new_size\": 12, \"hashes\": [\"AQQHCg0QExYZHB8"
	"iJSgrLjE0Nzo9QENGSUxPUlVYW14=\", \"ICMmKSwvMjU4Oz5BREdKTVBTVllcX2J"
	"laGtucXR3en0=\", \"P0JFSEtOUVRXWl1gY2ZpbG9ydXh7foGEh4qNkJOWmZw=\"]"
	"}",
	"{\"index\": 5, \"size\": 9, \"leaf_hash\": \"AgkQFx4lLDM6QUhPVl1ka"
	"3J5gIeOlZyjqrG4v8bN1Ns=\", \"hashes\": [\"AgUICw4RFBcaHSAjJiksLzI1"
	"ODs+QURHSk1QU1ZZXF8=\", \"ISQnKi0wMzY5PD9CRUhLTlFUV1pdYGNmaWxvcnV4"
	"e34=\"]}",
	"{\"old_size\": 5, \"new_size\": 9, \"hashes\": [\"AgUICw4RFBcaHSAj"
	"JiksLzI1ODs+QURHSk1QU1ZZXF8=\", \"ISQnKi0wMzY5PD9CRUhLTlFUV1pdYGNm"
	"aWxvcnV4e34=\"]}",
	"{\"index\": 9223372036854775806, \"size\": 9223372036854775807, \""
	"leaf_hash\": \"AwoRGB8mLTQ7QklQV15lbHN6gYiPlp2kq7K5wMfO1dw=\", \"h"
	"ashes\": [\"AwYJDA8SFRgbHiEkJyotMDM2OTw/QkVIS05RVFdaXWA=\"]}",
	"{\"old_size\": 0, \"new_size\": 9223372036854775807, \"hashes\": ["
	"\"AwYJDA8SFRgbHiEkJyotMDM2OTw/QkVIS05RVFdaXWA=\"]}",
	"{\"index\": 0, \"size\": 0, \"leaf_hash\": \"BAsSGSAnLjU8Q0pRWF9mb"
	"XR7gomQl56lrLO6wcjP1t0=\", \"hashes\": []}",
	"{\"old_size\": 0, \"new_size\": 0, \"hashes\": []}",
};

static const char *const golden_chains[] = {
	"{\"schema\":\"trace-chain/1\",\"id\":\"0190b7e1-95c0-7a2e-b1d3-4c8"
	"f7e6a5d90\",\"requesting_state\":\"FR\",\"assembled_at\":\"2026-11"
	"-30T09:00:02.412Z\",\"complete\":false,\"hops\":[{\"hop\":0,\"requ"
	"est_id\":\"0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90\",\"requested_stat"
	"e\":\"BE\",\"status\":\"sending\",\"sent_at\":\"2026-11-30T09:00:0"
	"0.104000Z\",\"due_by\":\"2999-12-01T09:00:00.131000Z\",\"request\""
	":\"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\"}]}",
	"{\"schema\":\"trace-chain/1\",\"id\":\"0190b7e1-95c0-7a2e-b1d3-4c8"
	"f7e6a5d90\",\"requesting_state\":\"FR\",\"assembled_at\":\"2026-11"
	"-30T09:00:02.412Z\",\"complete\":false,\"hops\":[{\"hop\":0,\"requ"
	"est_id\":\"0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90\",\"requested_stat"
	"e\":\"BE\",\"via\":\"XH\",\"status\":\"overdue\",\"sent_at\":\"202"
	"6-11-30T09:00:00.104000Z\",\"due_by\":\"2019-12-01T09:00:00Z\",\"a"
	"cknowledged_at\":\"2026-11-30T09:00:00.139000Z\",\"request\":\"eyJ"
	"hbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\",\"acknowledgement\":\"eyJhbGci"
	"OiJFZERTQSJ9..c2lnMg\"}]}",
	"{\"schema\":\"trace-chain/1\",\"id\":\"0190b7e1-95c0-7a2e-b1d3-4c8"
	"f7e6a5d90\",\"requesting_state\":\"FR\",\"assembled_at\":\"2026-11"
	"-30T09:00:02.412Z\",\"complete\":true,\"end\":{\"reason\":\"divers"
	"ion\",\"state\":\"DE\",\"detail\":\"DE: theft_reported on 2021-06-"
	"01\\n\\t\\\"é\\\" \\\\ /\"},\"hops\":[{\"hop\":0,\"request_id\":\""
	"0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90\",\"requested_state\":\"BE\","
	"\"via\":\"XH\",\"status\":\"answered\",\"sent_at\":\"2026-11-30T09"
	":00:00.104000Z\",\"due_by\":\"2026-12-01T09:00:00.131Z\",\"acknowl"
	"edged_at\":\"2026-11-30T09:00:00.139000Z\",\"answered_at\":\"2026-"
	"11-30T09:00:00.391000Z\",\"response_status\":\"found\",\"request\""
	":\"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\",\"acknowledgement\":\"ey"
	"JhbGciOiJFZERTQSJ9..c2lnMg\",\"response\":\"eyJhbGciOiJFZERTQSJ9.e"
	"yJhIjoxfQ.c2ln\"},{\"hop\":1,\"request_id\":\"0190b7e4-2d51-7f08-8"
	"c6a-93e1f0a4b2d7\",\"parent_id\":\"0190b7e1-95c0-7a2e-b1d3-4c8f7e6"
	"a5d90\",\"requested_state\":\"NL\",\"status\":\"answered\",\"sent_"
	"at\":\"2026-11-30T09:00:00.104000Z\",\"due_by\":\"2999-12-01T09:00"
	":00.131000Z\",\"answered_at\":\"2026-11-30T09:00:00.791Z\",\"respo"
	"nse_status\":\"found\",\"request\":\"eyJhbGciOiJFZERTQSJ9.eyJhIjox"
	"fQ.c2ln\",\"response\":\"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\"},{"
	"\"hop\":2,\"request_id\":\"0190b7e5-1111-7f08-8c6a-93e1f0a4b2d7\","
	"\"parent_id\":\"0190b7e4-2d51-7f08-8c6a-93e1f0a4b2d7\",\"requested"
	"_state\":\"DE\",\"via\":\"XH\",\"status\":\"answered\",\"sent_at\""
	":\"2026-11-30T09:00:00.104000Z\",\"due_by\":\"2999-12-01T09:00:00."
	"131000Z\",\"answered_at\":\"2026-11-30T09:00:01Z\",\"response_stat"
	"us\":\"found\",\"end\":\"diversion\",\"detail\":\"DE: theft_report"
	"ed on 2021-06-01\\n\\t\\\"é\\\" \\\\ /\",\"request\":\"eyJhbGciOiJ"
	"FZERTQSJ9.eyJhIjoxfQ.c2ln\",\"response\":\"eyJhbGciOiJFZERTQSJ9.ey"
	"JhIjoxfQ.c2ln\"}]}",
	"{\"schema\":\"trace-chain/1\",\"id\":\"0190b7e1-95c0-7a2e-b1d3-4c8"
	"f7e6a5d90\",\"requesting_state\":\"FR\",\"assembled_at\":\"2026-11"
	"-30T09:00:02.412Z\",\"complete\":true,\"end\":{\"reason\":\"refuse"
	"d\",\"state\":\"NL\",\"detail\":\"NL answered 503\"},\"hops\":[{\""
	"hop\":0,\"request_id\":\"0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90\",\""
	"requested_state\":\"BE\",\"via\":\"XH\",\"status\":\"answered\",\""
	"sent_at\":\"2026-11-30T09:00:00.104000Z\",\"due_by\":\"2026-12-01T"
	"09:00:00.131Z\",\"acknowledged_at\":\"2026-11-30T09:00:00.139000Z\""
	",\"answered_at\":\"2026-11-30T09:00:00.391000Z\",\"response_status"
	"\":\"found\",\"request\":\"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\","
	"\"acknowledgement\":\"eyJhbGciOiJFZERTQSJ9..c2lnMg\",\"response\":"
	"\"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\"},{\"hop\":1,\"request_id\""
	":\"0190b7e4-2d51-7f08-8c6a-93e1f0a4b2d7\",\"parent_id\":\"0190b7e1"
	"-95c0-7a2e-b1d3-4c8f7e6a5d90\",\"requested_state\":\"NL\",\"status"
	"\":\"refused\",\"sent_at\":\"2026-11-30T09:00:00.104000Z\",\"due_b"
	"y\":\"2999-12-01T09:00:00.131000Z\",\"refusal\":\"http-503\",\"ref"
	"used_at\":\"2026-11-30T09:00:00.5Z\",\"detail\":\"NL answered 503\""
	",\"request\":\"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\",\"problem\":"
	"\"eyJhbGciOiJFZERTQSJ9..c2lnMg\"}]}",
	"{\"schema\":\"trace-chain/1\",\"id\":\"0190b7e1-95c0-7a2e-b1d3-4c8"
	"f7e6a5d90\",\"requesting_state\":\"FR\",\"assembled_at\":\"2026-11"
	"-30T09:00:02.412Z\",\"complete\":true,\"end\":{\"reason\":\"not_fo"
	"llowed\",\"state\":\"NL\"},\"hops\":[{\"hop\":0,\"request_id\":\"0"
	"190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d90\",\"requested_state\":\"BE\",\""
	"via\":\"XH\",\"status\":\"answered\",\"sent_at\":\"2026-11-30T09:0"
	"0:00.104000Z\",\"due_by\":\"2026-12-01T09:00:00.131Z\",\"acknowled"
	"ged_at\":\"2026-11-30T09:00:00.139000Z\",\"answered_at\":\"2026-11"
	"-30T09:00:00.391000Z\",\"response_status\":\"found\",\"request\":\""
	"eyJhbGciOiJFZERTQSJ9.eyJhIjoxfQ.c2ln\",\"acknowledgement\":\"eyJhb"
	"GciOiJFZERTQSJ9..c2lnMg\",\"response\":\"eyJhbGciOiJFZERTQSJ9.eyJh"
	"IjoxfQ.c2ln\"},{\"hop\":1,\"request_id\":\"0190b7e4-2d51-7f08-8c6a"
	"-93e1f0a4b2d7\",\"parent_id\":\"0190b7e1-95c0-7a2e-b1d3-4c8f7e6a5d"
	"90\",\"requested_state\":\"NL\",\"status\":\"sending\",\"sent_at\""
	":\"2026-11-30T09:00:00.104000Z\",\"due_by\":\"2999-12-01T09:00:00."
	"131000Z\",\"end\":\"not_followed\",\"request\":\"eyJhbGciOiJFZERTQ"
	"SJ9.eyJhIjoxfQ.c2ln\"}]}",
};

static const char *const golden_witness[] = {
	"{\"state\":\"FR\",\"witness\":null,\"interval\":300,\"peers\":[]}",
	"{\"state\":\"FR\",\"witness\":\"fr.example/witness+01a2b3c4+BCD0aG"
	"VrZXk=\",\"interval\":60,\"peers\":[{\"state\":\"BE\",\"status\":\""
	"cosigned\",\"forked\":false,\"cosigned\":{\"origin\":\"be.example/"
	"log\",\"size\":5,\"root\":\"0J2W0K1ZKnZcJeYgVnm3Wx+S0rhzqLSY7NbxOn"
	"VLOlA=\",\"at\":\"2025-11-30T09:00:02Z\"},\"last_try\":\"2025-11-3"
	"0T09:00:00Z\",\"last_seen\":\"2025-11-30T09:00:01Z\",\"seen_size\""
	":5,\"detail\":null,\"alarms\":0,\"alarms_open\":0,\"last_alarm\":n"
	"ull}]}",
	"{\"state\":\"FR\",\"witness\":\"fr.example/witness+01a2b3c4+BCD0aG"
	"VrZXk=\",\"interval\":3600,\"peers\":[{\"state\":\"BE\",\"status\""
	":\"cosigned\",\"forked\":false,\"cosigned\":{\"origin\":\"be.examp"
	"le/log\",\"size\":5,\"root\":\"0J2W0K1ZKnZcJeYgVnm3Wx+S0rhzqLSY7Nb"
	"xOnVLOlA=\",\"at\":\"2025-11-30T09:00:02Z\"},\"last_try\":\"2025-1"
	"1-30T09:00:00Z\",\"last_seen\":\"2025-11-30T09:00:01Z\",\"seen_siz"
	"e\":5,\"detail\":null,\"alarms\":0,\"alarms_open\":0,\"last_alarm\""
	":null},{\"state\":\"NL\",\"status\":\"fork\",\"forked\":true,\"cos"
	"igned\":{\"origin\":\"nl.example/log\",\"size\":9,\"root\":\"AAAAA"
	"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\",\"at\":null},\"last_try\""
	":\"2025-11-30T09:01:40Z\",\"last_seen\":\"2025-11-30T08:06:40Z\",\""
	"seen_size\":12,\"detail\":\"a fork: the consistency proof from 5 t"
	"o 12 does not hold\\n\\\"x\\\"\",\"alarms\":3,\"alarms_open\":1,\""
	"last_alarm\":{\"at\":\"2025-11-30T09:01:41Z\",\"reason\":\"size 12"
	" does not extend 9\"}},{\"state\":\"DE\",\"status\":\"never\",\"fo"
	"rked\":false,\"cosigned\":null,\"last_try\":null,\"last_seen\":nul"
	"l,\"seen_size\":null,\"detail\":null,\"alarms\":1,\"alarms_open\":"
	"0,\"last_alarm\":{\"at\":null,\"reason\":\"\"}}]}",
};

#endif
