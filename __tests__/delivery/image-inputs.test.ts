import { readFileSync } from "node:fs";
import * as path from "node:path";
import { IMAGE_INPUTS, REPOSITORY_ROOT } from "../../constructs/container-image/content-hash";

/**
 * The image tag is a hash of IMAGE_INPUTS. An image that contains a file outside them could change
 * while its tag stays the same, and the registry's immutable tags would then keep the stale image.
 */
const dockerfile = readFileSync(path.join(REPOSITORY_ROOT, "docker", "Dockerfile"), "utf8");
const dockerignore = readFileSync(path.join(REPOSITORY_ROOT, "docker", "Dockerfile.dockerignore"), "utf8");

function coveredByTag(file: string): boolean {
  const normalized = file.replace(/\/+$/, "");
  return IMAGE_INPUTS.some((input) => normalized === input || normalized.startsWith(`${input}/`));
}

/** Sources of every COPY from the build context (not from another stage). */
function contextCopySources(text: string): string[] {
  const sources: string[] = [];
  for (const line of text.split("\n")) {
    const match = /^COPY\s+(.*)$/.exec(line.trim());
    if (!match || /--from=/.test(match[1]!)) continue;
    const words = match[1]!.split(/\s+/).filter((word) => !word.startsWith("--"));
    sources.push(...words.slice(0, -1));
  }
  return sources;
}

describe("the GPU image's inputs", () => {
  it("copies only files that the content-hash tag covers", () => {
    const sources = contextCopySources(dockerfile);
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.filter((source) => !coveredByTag(source))).toEqual([]);
  });

  it("admits only the tag's inputs into the build context", () => {
    const admitted = dockerignore
      .split("\n")
      .map((line) => line.trim())
      .filter((line) => line.startsWith("!"))
      .map((line) => line.slice(1));
    expect(dockerignore.split("\n")).toContain("*");
    expect(admitted.filter((entry) => !coveredByTag(entry))).toEqual([]);
  });

  it("would notice a copy from outside the inputs", () => {
    const tampered = `${dockerfile}\nCOPY README.md /opt/readme\n`;
    expect(contextCopySources(tampered).filter((source) => !coveredByTag(source))).toEqual(["README.md"]);
  });
});
