import { ConfigError, loadConfig, type Config } from './config.ts';
import { DomainError } from './shared/errors.ts';
import { translate } from './i18n/i18n.ts';
import { SYSTEM } from './access/actor.ts';
import { requestLoginLink } from './accounts/requestLoginLink.ts';
import { setOperator } from './accounts/setOperator.ts';
import { DEMO_ADMIN_EMAIL, demoStartLines, isEmptyNode, loadDemo } from './demo/index.ts';
import { createLogger } from './node/logger.ts';
import { assembleNode, migrateAndReport, openConfiguredDatabase } from './node/node.ts';
import { startHousekeeping } from './node/housekeeping.ts';
import { registerModules } from './node/modules.ts';
import type { Database } from './db/database.ts';
import { ledgerCommand } from './ledger/verifyCommand.ts';
import { cardsCommand } from './cards/cardsCommand.ts';
import { CommandLineError } from './ledger/commandArgs.ts';
import { federationCommand, parseFederationArgs } from './ledger/federationCommand.ts';
import { currencyCommand, parseCurrencyArgs } from './ledger/currencyCommand.ts';
import { parseSettlementArgs, settlementCommand } from './settlement/settlementCommand.ts';

const HELP = `rezo — a Rezo node: shared agenda, ticketing and a federated wallet for the venues of a territory.

Usage: rezo <command> [arguments]

Commands:
  serve                     start the node (what \`npm start\` runs): migrate, load the demo on an
                            empty database (in development, or with REZO_DEMO=1), serve HTTP on HOST:PORT
  migrate                   apply the database migrations and exit
  demo                      load the demo territory into an empty database
  login-link <email>        print a one-time login URL for that address (for a node without mail)
  operator add <email>      make a person a node operator (super-admin)
  operator remove <email>   take the operator role back
  ledger verify [--currency X]
                            re-check the ledger: every hash, checkpoint signature, balance and
                            per-currency sum, and each federation's reserve (euros held cover the
                            tokens in circulation and what is owed to venues); exit 1 naming the
                            first inconsistency; each currency's tree checkpoints and their
                            cosignatures by peer witnesses are checked too
  ledger identity           print this node's witness key and ledger log keys (for a peer's operator)
  ledger peer add --url URL --witness-key KEY --log-keys KEY[,KEY…]
                            pin a peer node (docs/OPERATIONS.md): it witnesses this node's ledger
                            logs, and this node cosigns the peer's logs named by their keys
  ledger peer list          the pinned peers, what they last cosigned, and failures
  cards import <file.csv> --name "Batch name" [--check]
                            import a batch of NFC cards (CSV columns uid, number, qr_token, with a
                            header line); all or nothing: any refused row is listed and nothing is
                            written (exit 1); --check only checks the file
  federation create <slug> --name "Name" [--venues slug1,slug2]
                            create a federation of venues (they will share its euro token)
  federation add-venue <federation-slug> <venue-slug>
                            add a venue to a federation: it then accepts the federation's euro
                            token (running it again changes nothing)
  federation list           federations with their venues and currencies
  currency create <CODE> --name "Name" --kind <kind> (--federation <slug> | --issuer <venue-slug>)
                 [--decimals N] [--accepted-by slug1,slug2]
                            create a currency; kind: federated_euro (issued by a federation,
                            accepted by its venues), local_euro, gift, time, loyalty, membership
                            (issued by a venue); decimals: 2 by default, 0 for loyalty and membership
  currency accept <CODE> <venue-slug>
                            let another venue accept a venue's currency (for the federation's euro
                            token, add the venue to the federation instead)
  currency list             currencies: code, kind, issuer, venues accepting it
  settlement run --federation <slug> --until <YYYY-MM-DD|ISO instant|now>
                            settle the federation's venues up to the end of that day (federation's
                            time zone) or that instant: a signed statement per venue; run again
                            with the same end to complete an interrupted run (docs/SETTLEMENT.md)
  settlement list --federation <slug>
                            the federation's settlement runs and statements
  settlement treasurer add|remove --federation <slug> <email>
                            who runs settlement and records payouts for the federation
  settlement fee --federation <slug> --bps <0..2000>
                            the federation's fee on the tokens venues settle (150 = 1.5 %)
  help                      show this help

Configuration comes from environment variables; see README.md ("Configuration").
Examples:
  npx rezo serve
  DATABASE_URL=postgres://rezo@localhost/rezo npx rezo migrate
  npx rezo login-link admin@example.org`;

class UsageError extends Error {}

async function withDatabase<T>(config: Config, fn: (database: Database, applied: string[]) => Promise<T>): Promise<T> {
  const logger = createLogger({ ...config, logLevel: config.logLevel === 'info' ? 'warn' : config.logLevel });
  const database = await openConfiguredDatabase(config);
  try {
    const applied = await migrateAndReport(database, logger);
    return await fn(database, applied);
  } finally {
    await database.close();
  }
}

async function serve(config: Config): Promise<void> {
  const logger = createLogger(config);
  const database = await openConfiguredDatabase(config);
  await migrateAndReport(database, logger);
  let demoLoaded = false;
  if (config.demo && (await isEmptyNode(database.db))) demoLoaded = await loadDemo(database.db, config);
  const node = await assembleNode(config, database, logger);
  node.mail.start();
  const stopHousekeeping = startHousekeeping(database.db, config, logger, node.stripe);

  let shuttingDown = false;
  const shutdown = (signal: string) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'stopping: finishing requests in flight');
    stopHousekeeping();
    const force = setTimeout(() => {
      logger.error('requests still running after 10 s, stopping anyway');
      process.exit(1);
    }, 10_000);
    force.unref();
    node.stop().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (err) => {
        logger.error({ err }, 'error while stopping');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));

  await node.app.listen({ host: config.host, port: config.port });
  const where = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `PGlite in ${config.dataDir}`;
  const lines = [``, `Rezo is running at ${config.baseUrl}  (database: ${where}, mode: ${config.env})`];
  if (demoLoaded)
    lines.push(
      `Demo territory loaded: 4 venues with their teams and events, a federation with its currencies and wallets.`,
    );
  const demoLines = await demoStartLines(database.db, config);
  if (demoLines.length > 0 && config.env !== 'development')
    logger.warn({ env: config.env }, 'this node holds the demo data: every page says so');
  if (!(config.env === 'development' && demoLines.length > 0) && !config.smtpUrl)
    lines.push(`No SMTP_URL: login mails are only logged. Get a login link with: npx rezo login-link <email>`);
  lines.push(...demoLines);
  lines.push(`API documentation: ${config.baseUrl}/api/docs   Stop with Ctrl+C.`, ``);
  process.stdout.write(lines.join('\n') + '\n');
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  // Without a command, one line on stderr like every other usage error (the help goes to stdout on request).
  if (!command) throw new UsageError('no command given (see rezo --help)');
  if (command === 'help' || command === '--help' || command === '-h') {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (args.includes('--help') || args.includes('-h')) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  const config = loadConfig();
  // The modules' payment purposes, for every command that may confirm or reverse a payment.
  registerModules();
  switch (command) {
    case 'serve':
      await serve(config);
      return -1; // keeps running
    case 'migrate':
      return withDatabase(config, async (_database, applied) => {
        process.stdout.write(
          applied.length > 0
            ? `migrations applied: ${applied.join(', ')}\n`
            : 'database is up to date: no migration to apply\n',
        );
        return 0;
      });
    case 'demo':
      return withDatabase(config, async (database) => {
        if (!(await loadDemo(database.db, config)))
          throw new UsageError('the database already has venues; the demo loads only into an empty one');
        process.stdout.write(`demo territory loaded; log in as ${DEMO_ADMIN_EMAIL}\n`);
        if (config.env !== 'development')
          process.stderr.write(`rezo: warning: a ${config.env} node now holds the demo data; every page will say so\n`);
        return 0;
      });
    case 'login-link': {
      if (args.length !== 1) throw new UsageError('usage: rezo login-link <email>');
      return withDatabase(config, async (database) => {
        const { url } = await requestLoginLink(database.db, config, {
          email: args[0],
          language: config.defaultLanguage,
          sendMail: false,
        });
        process.stdout.write(url + '\n');
        return 0;
      });
    }
    case 'operator': {
      const [action, email] = args;
      if ((action !== 'add' && action !== 'remove') || !email || args.length !== 2)
        throw new UsageError('usage: rezo operator add|remove <email>');
      return withDatabase(config, async (database) => {
        const person = await setOperator(database.db, SYSTEM, { email, operator: action === 'add' });
        process.stdout.write(`${person.email} is ${action === 'add' ? 'now' : 'no longer'} a node operator\n`);
        return 0;
      });
    }
    case 'ledger':
      return withDatabase(config, (database) =>
        ledgerCommand(
          database.db,
          args,
          { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
          { baseUrl: config.baseUrl, allowPrivate: config.env !== 'production' },
        ),
      );
    case 'cards': {
      const usage = 'usage: rezo cards import <file.csv> --name "Batch name" [--check]';
      const nameAt = args.indexOf('--name');
      const name = nameAt >= 0 ? args[nameAt + 1] : undefined;
      if (!name || name.startsWith('--')) throw new UsageError(usage);
      const rest = args.filter((a, i) => i !== nameAt && i !== nameAt + 1 && a !== '--check');
      if (rest[0] !== 'import' || rest.length !== 2) throw new UsageError(usage);
      return withDatabase(config, (database) =>
        cardsCommand(
          database.db,
          { file: rest[1]!, name, check: args.includes('--check') },
          { stdout: (s) => process.stdout.write(s), stderr: (s) => process.stderr.write(s) },
        ),
      );
    }
    case 'federation': {
      const parsed = parseFederationArgs(args);
      return withDatabase(config, (database) =>
        federationCommand(database.db, parsed, {
          stdout: (s) => process.stdout.write(s),
          stderr: (s) => process.stderr.write(s),
        }),
      );
    }
    case 'settlement': {
      const parsed = parseSettlementArgs(args);
      return withDatabase(config, (database) =>
        settlementCommand(database.db, parsed, {
          stdout: (s) => process.stdout.write(s),
          stderr: (s) => process.stderr.write(s),
        }),
      );
    }
    case 'currency': {
      const parsed = parseCurrencyArgs(args);
      return withDatabase(config, (database) =>
        currencyCommand(database.db, parsed, {
          stdout: (s) => process.stdout.write(s),
          stderr: (s) => process.stderr.write(s),
        }),
      );
    }
    default:
      throw new UsageError(`unknown command "${command}" (see rezo --help)`);
  }
}

/** One line on stderr, in English (the CLI's language), then exit 1. */
export function describeError(error: unknown): string {
  if (error instanceof ConfigError) return `rezo: ${error.message}`;
  if (error instanceof UsageError || error instanceof CommandLineError) return `rezo: ${error.message}`;
  if (error instanceof DomainError) {
    const fields = error.fields
      .map((f) => `${f.field}: ${translate('en', `fields.${f.message}`, f.params)}`)
      .join('; ');
    return `rezo: ${translate('en', `problems.${error.code}.detail`, error.params)}${fields ? ` (${fields})` : ''}`;
  }
  const e = error as NodeJS.ErrnoException;
  if (e?.code === 'EADDRINUSE') return `rezo: the port is already in use (${e.message}); set PORT to another one`;
  if (e?.code === 'ECONNREFUSED') return `rezo: cannot reach the database (${e.message}); check DATABASE_URL`;
  return `rezo: ${e?.message ?? String(error)}`;
}
