// `npm run dead-letters -- list` and `npm run dead-letters -- redrive <queue> [--limit N]`; the
// command itself lives in @shop/messaging so the production images can run it as a Job too.
import { runDeadLettersCli } from '@shop/messaging/dead-letters-cli';

void runDeadLettersCli(process.argv.slice(2)).then((code) => process.exit(code));
