/**
 * Content hashes of build inputs, so that new inputs mean a new image tag or wheel path (and a
 * visible change in `cdktf diff`), while unchanged inputs keep them stable.
 *
 * Algorithm (the image build workflow runs this file and must get the same answer):
 *   1. Collect every regular file under the inputs (directories are walked recursively,
 *      `__pycache__` directories and `*.pyc` files are skipped).
 *   2. For each file make the line `<path relative to the repository root, with />\0<hex sha256 of
 *      the file's bytes>\n`.
 *   3. Sort the lines (byte order), hash their concatenation with sha256.
 *   4. The image tag is the first 16 hex characters.
 *
 * CLI: `npx tsx constructs/container-image/content-hash.ts [--root DIR]` prints the image tag.
 */
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import * as path from "node:path";

/** What goes into the image: the Docker context and the workloads' locked requirements and code. */
export const IMAGE_INPUTS = [
  "docker",
  "python-workloads/pyproject.toml",
  "python-workloads/requirements.lock",
  "python-workloads/src",
] as const;

/** What goes into the wheel. */
export const WHEEL_INPUTS = ["python-workloads/pyproject.toml", "python-workloads/requirements.lock", "python-workloads/src"] as const;

/** Hex characters kept from the digest: 64 bits, plenty against collisions between versions. */
export const TAG_LENGTH = 16;

function isSkipped(name: string, isDirectory: boolean): boolean {
  return isDirectory ? name === "__pycache__" : name.endsWith(".pyc");
}

function collect(root: string, relative: string, into: string[]): void {
  const absolute = path.join(root, relative);
  const stats = statSync(absolute);
  if (stats.isDirectory()) {
    for (const entry of readdirSync(absolute, { withFileTypes: true })) {
      if (isSkipped(entry.name, entry.isDirectory())) continue;
      collect(root, path.posix.join(relative, entry.name), into);
    }
  } else if (stats.isFile()) {
    into.push(relative);
  }
}

/** Every file the inputs cover, relative to `root` with `/` separators; fails naming a missing input. */
export function listInputFiles(root: string, inputs: readonly string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    if (!existsSync(path.join(root, input))) {
      throw new Error(`content hash input ${input} does not exist under ${root}; create it or run from the repository root`);
    }
    collect(root, input, files);
  }
  return files;
}

function sha256Hex(data: Buffer | string): string {
  return createHash("sha256").update(data).digest("hex");
}

/** The full sha256 hex digest of the inputs, per the algorithm above. */
export function contentHash(root: string, inputs: readonly string[]): string {
  const lines = listInputFiles(root, inputs).map((file) => `${file}\0${sha256Hex(readFileSync(path.join(root, file)))}\n`);
  lines.sort();
  return sha256Hex(lines.join(""));
}

/** The image tag: the first 16 hex characters of the image inputs' content hash. */
export function computeImageTag(root: string): string {
  return contentHash(root, IMAGE_INPUTS).slice(0, TAG_LENGTH);
}

/** The wheel's content-addressed directory name: same algorithm over the wheel's inputs. */
export function computeWheelHash(root: string): string {
  return contentHash(root, WHEEL_INPUTS).slice(0, TAG_LENGTH);
}

/** The repository root this file lives in. */
export const REPOSITORY_ROOT = path.resolve(__dirname, "..", "..");

if (require.main === module) {
  const rootFlag = process.argv.indexOf("--root");
  const root = rootFlag >= 0 && process.argv[rootFlag + 1] ? path.resolve(process.argv[rootFlag + 1]!) : REPOSITORY_ROOT;
  try {
    process.stdout.write(`${computeImageTag(root)}\n`);
  } catch (error) {
    process.stderr.write(`error: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
