import { execFileSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { dev } from "../config/dev";
import { prod } from "../config/prod";
import { buildApp, terraformOnPath } from "../stacks/app";
import { fixtureRepo } from "./helpers";

describe("the app", () => {
  it("synthesizes one stack per environment into <outdir>/stacks/<env>", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "booster-out-"));
    const { app, stacks } = buildApp({ repositoryRoot: fixtureRepo(), outdir });
    app.synth();
    expect(stacks.map((stack) => stack.node.id)).toEqual(["dev", "prod"]);
    for (const env of ["dev", "prod"]) {
      const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", env, "cdk.tf.json"), "utf8"));
      expect(Object.keys(stack.resource.databricks_job)).toHaveLength(1);
    }
    expect(existsSync(path.join(outdir, "manifest.json"))).toBe(true);
  });

  it("synthesizes Terraform Cloud stacks on a machine without terraform", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "booster-out-"));
    const withCloud = [
      { ...dev, terraformCloud: { organization: "booster", workspace: "booster-soccer-dev" } },
      { ...prod, terraformCloud: { organization: "booster", workspace: "booster-soccer-prod" } },
    ];
    const { app, skippedValidation } = buildApp({
      repositoryRoot: fixtureRepo(),
      outdir,
      environments: withCloud,
      searchPath: "/nonexistent",
    });
    expect(skippedValidation).toMatch(/no terraform on PATH/);
    expect(() => app.synth()).not.toThrow();
    const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", "prod", "cdk.tf.json"), "utf8"));
    expect(stack.terraform.cloud.workspaces).toEqual({ name: "booster-soccer-prod" });
  });

  it("keeps cdktf's validations when state is local", () => {
    expect(
      buildApp({ repositoryRoot: fixtureRepo(), outdir: mkdtempSync(path.join(tmpdir(), "booster-out-")), searchPath: "" })
        .skippedValidation,
    ).toBeUndefined();
  });

  it("finds terraform only where an executable of that name is", () => {
    expect(terraformOnPath("/nonexistent:/also-missing")).toBe(false);
    expect(terraformOnPath(path.join(__dirname, "..", "node_modules", ".bin"))).toBe(false);
    const bin = mkdtempSync(path.join(tmpdir(), "booster-bin-"));
    writeFileSync(path.join(bin, "terraform"), "#!/bin/sh\n");
    chmodSync(path.join(bin, "terraform"), 0o755);
    expect(terraformOnPath(`/nonexistent${path.delimiter}${bin}`)).toBe(true);
  });
});

describe("the app over this repository", () => {
  it("puts the tag the image build computes (content-hash CLI) into every stack's image reference", () => {
    const outdir = mkdtempSync(path.join(tmpdir(), "booster-out-"));
    const { app, configs } = buildApp({ outdir });
    app.synth();
    const tag = execFileSync(
      path.join(__dirname, "..", "node_modules", ".bin", "tsx"),
      [path.join(__dirname, "..", "constructs", "container-image", "content-hash.ts")],
      { encoding: "utf8" },
    ).trim();
    expect(tag).toMatch(/^[0-9a-f]{16}$/);
    for (const config of configs) {
      const stack = JSON.parse(readFileSync(path.join(outdir, "stacks", config.name, "cdk.tf.json"), "utf8"));
      expect(stack.output.image_url.value).toBe(
        `${config.gcp.region}-docker.pkg.dev/${config.gcp.projectId}/${config.image.repositoryId}/${config.image.imageName}:${tag}`,
      );
      const gpu = stack.resource.databricks_job[Object.keys(stack.resource.databricks_job)[0]!].job_cluster[1].new_cluster;
      expect(gpu.docker_image.url).toBe(stack.output.image_url.value);
    }
  });
});
