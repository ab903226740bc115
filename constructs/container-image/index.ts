import { ArtifactRegistryRepository } from "@cdktf/provider-google/lib/artifact-registry-repository";
import { ArtifactRegistryRepositoryIamMember } from "@cdktf/provider-google/lib/artifact-registry-repository-iam-member";
import { Construct } from "constructs";

export interface ContainerImageProps {
  readonly projectId: string;
  /** Region of the repository; also the registry host prefix. */
  readonly location: string;
  readonly repositoryId: string;
  /** @default "booster-rl" */
  readonly imageName?: string;
  /** Content hash of the image inputs (see content-hash.ts); the image must be pushed with it. */
  readonly tag: string;
  /** Newest versions kept by the cleanup policy. @default 10 */
  readonly keepVersions?: number;
  /** Other versions are deleted once older than this. @default 30 */
  readonly deleteOlderThanDays?: number;
  /** IAM member granted `roles/artifactregistry.reader`. @default - none */
  readonly pullerMember?: string;
  /** @default {} */
  readonly labels?: Readonly<Record<string, string>>;
}

/**
 * The Artifact Registry repository the GPU image lives in, and the content-addressed image
 * reference. Building and pushing the image happens outside Terraform, under exactly `imageUrl`.
 */
export class ContainerImage extends Construct {
  readonly repository: ArtifactRegistryRepository;
  /** `<region>-docker.pkg.dev/<project>/<repo>/<image>:<tag>` */
  readonly imageUrl: string;
  readonly tag: string;

  constructor(scope: Construct, id: string, props: ContainerImageProps) {
    super(scope, id);
    const imageName = props.imageName ?? "booster-rl";
    this.tag = props.tag;
    this.imageUrl = `${props.location}-docker.pkg.dev/${props.projectId}/${props.repositoryId}/${imageName}:${props.tag}`;
    const labels = props.labels ? sanitizeLabels(props.labels) : undefined;

    this.repository = new ArtifactRegistryRepository(this, "Resource", {
      project: props.projectId,
      location: props.location,
      repositoryId: props.repositoryId,
      format: "DOCKER",
      description: "GPU training image of the Booster Soccer pipeline, tagged by content hash",
      // A tag names exactly one set of inputs; pushing other bytes under it must fail.
      dockerConfig: { immutableTags: true },
      cleanupPolicyDryRun: false,
      cleanupPolicies: [
        {
          id: "delete-old",
          action: "DELETE",
          condition: { tagState: "ANY", olderThan: `${(props.deleteOlderThanDays ?? 30) * 86400}s` },
        },
        {
          // KEEP wins over DELETE, so the newest versions survive however old they are.
          id: "keep-newest",
          action: "KEEP",
          mostRecentVersions: { keepCount: props.keepVersions ?? 10 },
        },
      ],
      labels,
    });

    if (props.pullerMember !== undefined) {
      new ArtifactRegistryRepositoryIamMember(this, "PullerReader", {
        project: props.projectId,
        location: props.location,
        repository: this.repository.name,
        role: "roles/artifactregistry.reader",
        member: props.pullerMember,
      });
    }
  }
}

/** GCP labels allow lowercase letters, digits, `_` and `-` only. */
function sanitizeLabels(tags: Readonly<Record<string, string>>): Record<string, string> {
  const clean = (text: string): string =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9_-]/g, "_")
      .slice(0, 63);
  return Object.fromEntries(Object.entries(tags).map(([key, value]) => [clean(key), clean(value)]));
}
