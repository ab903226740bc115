import { File } from "@cdktf/provider-databricks/lib/file";
import { Testing } from "cdktf";
import { rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { readProjectVersion, wheelFileName, WorkloadBundle } from "../constructs/workload-bundle";
import { bareStack, makeFixtureRepo } from "./helpers";

function bundleIn(root: string) {
  const { stack } = bareStack();
  const bundle = new WorkloadBundle(stack, "Bundle", {
    repositoryRoot: root,
    terraformWorkingDir: path.join(root, "cdktf.out", "stacks", "dev"),
    distribution: "booster-workloads",
    artifactsVolumePath: "/Volumes/c/s/artifacts",
    scriptsVolumePath: "/Volumes/c/s/scripts",
  });
  return { bundle, synthesized: Testing.synth(stack) };
}

describe("workload bundle", () => {
  it("uploads the wheel and the init script to content-addressed volume paths, from paths relative to Terraform", () => {
    const root = makeFixtureRepo();
    const { bundle, synthesized } = bundleIn(root);
    expect(bundle.wheelVolumePath).toBe(`/Volumes/c/s/artifacts/wheels/${bundle.wheelHash}/booster_workloads-0.1.0-py3-none-any.whl`);
    expect(synthesized).toHaveResourceWithProperties(File, {
      path: bundle.wheelVolumePath,
      source: "../../../python-workloads/dist/booster_workloads-0.1.0-py3-none-any.whl",
    });
    expect(synthesized).toHaveResourceWithProperties(File, {
      path: expect.stringMatching(/^\/Volumes\/c\/s\/scripts\/init\/[0-9a-f]{16}\/install_mjx\.sh$/),
      source: "../../../docker/install_mjx.sh",
    });
  });

  it("does not need the wheel to exist at synth", () => {
    const root = makeFixtureRepo();
    expect(() => bundleIn(root)).not.toThrow();
  });

  it("moves the wheel to a new path when the code changes", () => {
    const root = makeFixtureRepo();
    const before = bundleIn(root).bundle.wheelVolumePath;
    writeFileSync(path.join(root, "python-workloads", "src", "booster_workloads", "__init__.py"), "VERSION = 2\n");
    expect(bundleIn(root).bundle.wheelVolumePath).not.toBe(before);
  });

  it("moves the init script to a new path when it changes", () => {
    const root = makeFixtureRepo();
    const before = bundleIn(root).bundle.initScriptVolumePath;
    writeFileSync(path.join(root, "docker", "install_mjx.sh"), "#!/usr/bin/env bash\npip install jax\n");
    expect(bundleIn(root).bundle.initScriptVolumePath).not.toBe(before);
  });

  it("fails when the init script is missing, naming the file", () => {
    const root = makeFixtureRepo();
    rmSync(path.join(root, "docker", "install_mjx.sh"));
    expect(() => bundleIn(root)).toThrow(
      /init script docker\/install_mjx\.sh is missing under .*; it is generated from python-workloads\/requirements\.lock/,
    );
  });

  it("fails when pyproject.toml has no version", () => {
    const root = makeFixtureRepo();
    writeFileSync(path.join(root, "python-workloads", "pyproject.toml"), '[project]\nname = "booster-workloads"\n');
    expect(() => bundleIn(root)).toThrow(/has no \[project\] version; add version = "X\.Y\.Z"/);
  });

  it("reads the version from the [project] table and names the wheel as uv build does", () => {
    const root = makeFixtureRepo({
      "python-workloads/pyproject.toml": '[tool.x]\nversion = "9"\n[project]\nname = "a"\nversion = "1.2.3"\n',
    });
    expect(readProjectVersion(path.join(root, "python-workloads", "pyproject.toml"))).toBe("1.2.3");
    expect(wheelFileName("booster-workloads", "1.2.3")).toBe("booster_workloads-1.2.3-py3-none-any.whl");
  });
});
