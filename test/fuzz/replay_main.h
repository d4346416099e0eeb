/*-------------------------------------------------------------------------
 * replay_main.h
 *	  main() for a fuzz target built without libFuzzer: runs
 *	  LLVMFuzzerTestOneInput once per file named on the command line.
 *	  Include it last, under the target's standalone #ifdef.
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdio.h>

#define REPLAY_MAX_INPUT (1 << 20)

/* Replay every file named on the command line through the target. */
int
main(int argc, char **argv)
{
	static uint8_t buf[REPLAY_MAX_INPUT];

	for (int i = 1; i < argc; i++)
	{
		FILE	   *f = fopen(argv[i], "rb");
		size_t		n;

		if (f == NULL)
		{
			perror(argv[i]);
			return 1;
		}
		n = fread(buf, 1, sizeof(buf), f);
		fclose(f);
		LLVMFuzzerTestOneInput(buf, n);
	}
	printf("%d input(s) replayed\n", argc - 1);
	return 0;
}
