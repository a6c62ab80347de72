// Jest reporter: after the run, list every skipped test by name. The only skips allowed are
// features a harness declares unsupported by its server (named "[<feature> unsupported by
// <server>: <reason>] ..."), so this is the list of what the real servers cannot do.
// Any other skipped test fails the run: skipping a suite in CI is failing it.
class UnsupportedReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.testResults.flatMap((file) =>
      file.testResults
        .filter((t) => t.status === 'pending' || t.status === 'skipped' || t.status === 'todo')
        .map((t) => t.fullName),
    );
    if (skipped.length === 0) return;
    const declared = skipped.filter((name) => /\[[A-Za-z]+ unsupported by /.test(name));
    const undeclared = skipped.filter((name) => !declared.includes(name));
    process.stderr.write(`\nDeclared unsupported by their servers (${declared.length}):\n`);
    for (const name of declared) process.stderr.write(`  - ${name}\n`);
    if (undeclared.length > 0) {
      process.stderr.write(
        `\nSkipped without a declared reason (${undeclared.length}), which fails the run:\n`,
      );
      for (const name of undeclared) process.stderr.write(`  - ${name}\n`);
      results.success = false;
      process.exitCode = 1;
    }
  }
}

module.exports = UnsupportedReporter;
