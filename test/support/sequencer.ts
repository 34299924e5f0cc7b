// The order vitest's workers take the test files in. With timings of an earlier run (a developer's
// checkout) vitest's own order stands: longer files first. Without them (a fresh clone, CI) vitest runs
// larger files first, and some of the longest files are small end-to-end ones (stop, task-console) that
// then started among the last, one worker finishing them alone. End-to-end files go first, so that the
// short unit files fill the end of the run.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const isEndToEnd = (spec: TestSpecification): boolean => spec.moduleId.includes('/test/e2e/');

export default class EndToEndFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const timed = sorted.every((spec) => this.ctx.cache.getFileTestResults(`${spec.project.name}:${relative(this.ctx.config.root, spec.moduleId)}`));
    return timed ? sorted : [...sorted.filter(isEndToEnd), ...sorted.filter((spec) => !isEndToEnd(spec))];
  }
}
