/*
 * Emits N events per thread through LTTng-UST, for bench/ctf-events.ts.
 * Usage: bench-app EVENTS_PER_THREAD THREADS
 */
#define TRACEPOINT_DEFINE
#define TRACEPOINT_CREATE_PROBES
#include "tw_bench_tp.h"
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long per_thread;

static void *worker(void *arg)
{
	long t = (long) arg;
	static const char *paths[] = { "/index.html", "/api/v1/users/42", "/static/app.js", "/health" };
	unsigned char data[16];
	char comm[16] = "bench-worker";
	long i;

	comm[12] = '0' + (char) (t % 10);
	for (i = 0; i < 16; i++)
		data[i] = (unsigned char) (i * 7 + t);
	for (i = 0; i < per_thread; i += 3) {
		int id = (int) (t * 100000000 + i);
		tracepoint(tw_bench, request_begin, id, paths[i % 4], (unsigned short) (8000 + (i % 100)));
		tracepoint(tw_bench, sample, (unsigned int) t, comm, data, (unsigned int) (8 + (i % 9)));
		tracepoint(tw_bench, request_end, id, 1000 + (i % 5000) * 37, (i % 17) ? 200 : 404, (double) (i % 1000) / 7.0);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	long threads, k;
	pthread_t tids[64];

	if (argc != 3) {
		fprintf(stderr, "usage: %s EVENTS_PER_THREAD THREADS\n", argv[0]);
		return 2;
	}
	per_thread = atol(argv[1]);
	threads = atol(argv[2]);
	if (threads < 1 || threads > 64 || per_thread < 3) {
		fprintf(stderr, "bench-app: bad arguments\n");
		return 2;
	}
	for (k = 0; k < threads; k++)
		pthread_create(&tids[k], NULL, worker, (void *) k);
	for (k = 0; k < threads; k++)
		pthread_join(tids[k], NULL);
	return 0;
}
