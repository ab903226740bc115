import { Catalog } from "@cdktf/provider-databricks/lib/catalog";
import { Grants, type GrantsGrant } from "@cdktf/provider-databricks/lib/grants";
import { RegisteredModel } from "@cdktf/provider-databricks/lib/registered-model";
import { Schema } from "@cdktf/provider-databricks/lib/schema";
import { Volume } from "@cdktf/provider-databricks/lib/volume";
import { Construct } from "constructs";

const UC_NAME = /^[a-z_][a-z0-9_]{0,254}$/;

export interface UnityCatalogProps {
  readonly catalogName: string;
  /**
   * Create the catalog, or use an existing one. An existing catalog's grants are left alone,
   * because `databricks_grants` is authoritative and would drop everyone else's.
   * @default true
   */
  readonly createCatalog?: boolean;
  /** `gs://` storage root of a created catalog. @default - the metastore's root */
  readonly catalogStorageRoot?: string;
  readonly schemaName: string;
  /** Managed volumes to create, e.g. checkpoints, artifacts, scripts. */
  readonly volumeNames: readonly string[];
  /** Registered models to create (names inside the schema). */
  readonly modelNames: readonly string[];
  /**
   * Principal the job runs as (service principal application id or user e-mail); receives what
   * the pipeline needs and owns the registered models so it may add versions.
   * @default - no grants for the job; it runs as the deployer, who owns everything
   */
  readonly jobPrincipal?: string;
  /** Group that reads volumes and runs models. @default - none */
  readonly readersGroup?: string;
  /** @default "Managed by the booster-soccer CDKTF stack" */
  readonly comment?: string;
}

/** Catalog, schema, managed volumes, registered models and their grants. */
export class UnityCatalog extends Construct {
  readonly catalogName: string;
  readonly schemaName: string;
  /** `/Volumes/<catalog>/<schema>/<volume>` by volume name. */
  readonly volumePaths: Readonly<Record<string, string>>;
  readonly volumes: Readonly<Record<string, Volume>>;
  readonly models: Readonly<Record<string, RegisteredModel>>;
  readonly schema: Schema;

  constructor(scope: Construct, id: string, props: UnityCatalogProps) {
    super(scope, id);
    const invalid = [
      ["catalogName", props.catalogName] as const,
      ["schemaName", props.schemaName] as const,
      ...props.volumeNames.map((name) => ["volumeNames", name] as const),
      ...props.modelNames.map((name) => ["modelNames", name] as const),
    ].filter(([, name]) => !UC_NAME.test(name));
    if (invalid.length > 0) {
      throw new Error(
        invalid
          .map(
            ([field, name]) =>
              `${this.node.path}: ${field} has "${name}", but Unity Catalog names must be lowercase letters, digits and underscores, not starting with a digit`,
          )
          .join("\n"),
      );
    }
    const comment = props.comment ?? "Managed by the booster-soccer CDKTF stack";
    const createCatalog = props.createCatalog ?? true;
    this.catalogName = props.catalogName;
    this.schemaName = props.schemaName;

    // Referencing the catalog resource (when created) orders creation; otherwise the name suffices.
    let catalogRef = props.catalogName;
    if (createCatalog) {
      const catalog = new Catalog(this, "Catalog", {
        name: props.catalogName,
        comment,
        storageRoot: props.catalogStorageRoot,
      });
      catalogRef = catalog.name;
    }

    this.schema = new Schema(this, "Schema", { catalogName: catalogRef, name: props.schemaName, comment });

    const volumes: Record<string, Volume> = {};
    const volumePaths: Record<string, string> = {};
    for (const name of props.volumeNames) {
      volumes[name] = new Volume(this, `Volume-${name}`, {
        catalogName: catalogRef,
        schemaName: this.schema.name,
        name,
        volumeType: "MANAGED",
        comment,
      });
      volumePaths[name] = `/Volumes/${props.catalogName}/${props.schemaName}/${name}`;
    }
    this.volumes = volumes;
    this.volumePaths = volumePaths;

    const models: Record<string, RegisteredModel> = {};
    for (const name of props.modelNames) {
      models[name] = new RegisteredModel(this, `Model-${name}`, {
        catalogName: catalogRef,
        schemaName: this.schema.name,
        name,
        comment,
        // Adding a model version needs ownership of the registered model.
        owner: props.jobPrincipal,
      });
    }
    this.models = models;

    const grant = (principal: string | undefined, privileges: string[]): GrantsGrant[] =>
      principal === undefined ? [] : [{ principal, privileges }];
    const job = props.jobPrincipal;
    const readers = props.readersGroup;
    if (job === undefined && readers === undefined) return;

    if (createCatalog) {
      new Grants(this, "CatalogGrants", {
        catalog: catalogRef,
        grant: [...grant(job, ["USE_CATALOG"]), ...grant(readers, ["USE_CATALOG"])],
      });
    }
    new Grants(this, "SchemaGrants", {
      schema: `${props.catalogName}.${props.schemaName}`,
      grant: [...grant(job, ["USE_SCHEMA", "CREATE_MODEL"]), ...grant(readers, ["USE_SCHEMA"])],
      dependsOn: [this.schema],
    });
    for (const [name, volume] of Object.entries(volumes)) {
      new Grants(this, `VolumeGrants-${name}`, {
        volume: volume.id,
        grant: [...grant(job, ["READ_VOLUME", "WRITE_VOLUME"]), ...grant(readers, ["READ_VOLUME"])],
      });
    }
    for (const [name, model] of Object.entries(models)) {
      new Grants(this, `ModelGrants-${name}`, {
        model: model.id,
        grant: [...grant(job, ["EXECUTE"]), ...grant(readers, ["EXECUTE"])],
      });
    }
  }
}
