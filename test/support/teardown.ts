/**
 * Steps that undo a start-up, run last-in first-out. Each step runs even when an earlier one
 * failed, so a failure while stopping one piece never leaves the others running; the failures are
 * thrown together at the end. Running it again does nothing.
 */
export class Teardown {
  private readonly steps: { name: string; run: () => Promise<unknown> }[] = [];
  private done: Promise<void> | undefined;

  add(name: string, run: () => Promise<unknown>): void {
    this.steps.push({ name, run });
  }

  run(): Promise<void> {
    return (this.done ??= (async () => {
      const errors: Error[] = [];
      for (const step of this.steps.splice(0).reverse()) {
        try {
          await step.run();
        } catch (err) {
          errors.push(new Error(`${step.name}: ${(err as Error).message}`, { cause: err }));
        }
      }
      if (errors.length) throw new AggregateError(errors, `stopping failed: ${errors.map((e) => e.message).join("; ")}`);
    })());
  }
}
