/** The configuration of the stores: which adapter each uses, and its settings. */

/** Configuration of one store: its adapter `type` and that adapter's settings. */
export interface StoreConfig {
  type: string;
  [setting: string]: unknown;
}

/** Which adapters a deployment uses. */
export interface StoresConfig {
  objectStore: StoreConfig;
  metadataStore: StoreConfig;
}
