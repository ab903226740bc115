import { File } from "@cdktf/provider-databricks/lib/file";
import { Construct } from "constructs";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import * as path from "node:path";
import type { ITerraformDependable } from "cdktf";
import { computeWheelHash, TAG_LENGTH } from "../container-image/content-hash";

export interface WorkloadBundleProps {
  /** Repository root holding python-workloads/ and docker/. */
  readonly repositoryRoot: string;
  /** Directory Terraform runs in (cdktf.out/stacks/<env>); local file sources are relative to it. */
  readonly terraformWorkingDir: string;
  /** Distribution name from the wheel's metadata, e.g. booster-workloads. */
  readonly distribution: string;
  /** `/Volumes/...` path of the artifacts volume (the wheel goes under `wheels/`). */
  readonly artifactsVolumePath: string;
  /** `/Volumes/...` path of the scripts volume (the init script goes under `init/`). */
  readonly scriptsVolumePath: string;
  /** @default "docker/install_mjx.sh" */
  readonly initScriptPath?: string;
  /** Resources the uploads wait for (the volumes). @default [] */
  readonly dependsOn?: ITerraformDependable[];
}

/** Reads `version` from the `[project]` table of a pyproject.toml. */
export function readProjectVersion(pyprojectPath: string): string {
  const text = readFileSync(pyprojectPath, "utf8");
  const project = text.split(/^\[/m).find((section) => section.startsWith("project]"));
  const version = project?.match(/^version\s*=\s*"([^"]+)"/m)?.[1];
  if (version === undefined) {
    throw new Error(`${pyprojectPath} has no [project] version; add version = "X.Y.Z" (it names the wheel file)`);
  }
  return version;
}

/** The file name `uv build` gives a pure-Python wheel (distribution name normalized per PEP 427). */
export function wheelFileName(distribution: string, version: string): string {
  return `${distribution.toLowerCase().replace(/[-_.]+/g, "_")}-${version}-py3-none-any.whl`;
}

/**
 * The workloads wheel and the init script uploaded to Unity Catalog volumes at content-addressed
 * paths: new code means a new path, so the job that points at it changes too.
 *
 * The wheel is built outside synth (`uv build` into python-workloads/dist/); synth only hashes its
 * inputs, so it does not need the wheel. Terraform reads the wheel at plan time.
 */
export class WorkloadBundle extends Construct {
  readonly wheelFileName: string;
  readonly wheelHash: string;
  /** `/Volumes/.../wheels/<hash>/<wheel>` */
  readonly wheelVolumePath: string;
  /** `/Volumes/.../init/<hash>/install_mjx.sh` */
  readonly initScriptVolumePath: string;
  readonly wheelFile: File;
  readonly initScriptFile: File;

  constructor(scope: Construct, id: string, props: WorkloadBundleProps) {
    super(scope, id);
    const root = props.repositoryRoot;
    const relativeToTerraform = (absolute: string): string => path.relative(props.terraformWorkingDir, absolute).split(path.sep).join("/");

    const version = readProjectVersion(path.join(root, "python-workloads", "pyproject.toml"));
    this.wheelFileName = wheelFileName(props.distribution, version);
    this.wheelHash = computeWheelHash(root);
    this.wheelVolumePath = `${props.artifactsVolumePath}/wheels/${this.wheelHash}/${this.wheelFileName}`;
    this.wheelFile = new File(this, "Wheel", {
      source: relativeToTerraform(path.join(root, "python-workloads", "dist", this.wheelFileName)),
      path: this.wheelVolumePath,
      dependsOn: props.dependsOn,
    });

    const initScript = props.initScriptPath ?? "docker/install_mjx.sh";
    const initScriptAbsolute = path.join(root, initScript);
    if (!existsSync(initScriptAbsolute)) {
      throw new Error(
        `init script ${initScript} is missing under ${root}; it is generated from python-workloads/requirements.lock and must exist before synth`,
      );
    }
    const initHash = createHash("sha256").update(readFileSync(initScriptAbsolute)).digest("hex").slice(0, TAG_LENGTH);
    this.initScriptVolumePath = `${props.scriptsVolumePath}/init/${initHash}/${path.basename(initScript)}`;
    this.initScriptFile = new File(this, "InitScript", {
      source: relativeToTerraform(initScriptAbsolute),
      path: this.initScriptVolumePath,
      dependsOn: props.dependsOn,
    });
  }
}
