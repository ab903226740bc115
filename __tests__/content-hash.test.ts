import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { dev } from "../config/dev";
import { computeImageTag, computeWheelHash, contentHash, IMAGE_INPUTS, listInputFiles } from "../constructs/container-image/content-hash";
import { configWith, FIXTURE_FILES, makeFixtureRepo, makeStack } from "./helpers";

const sha256 = (data: string | Buffer): string => createHash("sha256").update(data).digest("hex");

describe("content hash", () => {
  it("follows the documented algorithm: sorted '<path>\\0<sha256>\\n' lines, sha256, 16 hex", () => {
    const root = makeFixtureRepo();
    const lines = Object.keys(FIXTURE_FILES)
      .map((file) => `${file}\0${sha256(readFileSync(path.join(root, file)))}\n`)
      .sort();
    expect(computeImageTag(root)).toBe(sha256(lines.join("")).slice(0, 16));
  });

  it("changes when any image input changes, and only then", () => {
    const root = makeFixtureRepo();
    const before = computeImageTag(root);
    expect(computeImageTag(root)).toBe(before);
    writeFileSync(path.join(root, "docker", "Dockerfile"), "FROM databricksruntime/gpu-base:cuda12.4\n");
    const afterDocker = computeImageTag(root);
    expect(afterDocker).not.toBe(before);
    writeFileSync(path.join(root, "python-workloads", "requirements.lock"), "numpy==2.2.0\n");
    expect(computeImageTag(root)).not.toBe(afterDocker);
  });

  it("skips __pycache__ and .pyc files", () => {
    const root = makeFixtureRepo();
    const before = computeImageTag(root);
    mkdirSync(path.join(root, "python-workloads", "src", "booster_workloads", "__pycache__"));
    writeFileSync(path.join(root, "python-workloads", "src", "booster_workloads", "__pycache__", "x.cpython-311.pyc"), "bytecode");
    writeFileSync(path.join(root, "python-workloads", "src", "booster_workloads", "stale.pyc"), "bytecode");
    expect(computeImageTag(root)).toBe(before);
    expect(listInputFiles(root, IMAGE_INPUTS).some((file) => file.includes("pyc"))).toBe(false);
  });

  it("hashes the wheel from the workloads only, so an image-only change keeps the wheel path", () => {
    const root = makeFixtureRepo();
    const wheel = computeWheelHash(root);
    writeFileSync(path.join(root, "docker", "Dockerfile"), "FROM other\n");
    expect(computeWheelHash(root)).toBe(wheel);
    writeFileSync(path.join(root, "python-workloads", "src", "booster_workloads", "__init__.py"), "changed = True\n");
    expect(computeWheelHash(root)).not.toBe(wheel);
  });

  it("fails naming the missing input", () => {
    const root = makeFixtureRepo({ "python-workloads/pyproject.toml": "[project]\n" });
    expect(() => contentHash(root, IMAGE_INPUTS)).toThrow(/content hash input docker does not exist under/);
  });

  it("prints the same tag from the CLI that the stack puts in the image reference", () => {
    const root = makeFixtureRepo();
    const cli = execFileSync(
      path.join(__dirname, "..", "node_modules", ".bin", "tsx"),
      [path.join(__dirname, "..", "constructs", "container-image", "content-hash.ts"), "--root", root],
      { encoding: "utf8" },
    ).trim();
    const { json } = makeStack(configWith({}, dev), root);
    expect(cli).toMatch(/^[0-9a-f]{16}$/);
    expect(json.output.image_url!.value).toBe(`us-central1-docker.pkg.dev/booster-soccer-dev/booster-soccer-dev/booster-rl:${cli}`);
  });
});
