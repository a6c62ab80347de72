/** The version printed by `som --version`, and recorded in plans (every shard must run the same). */
export const VERSION = '0.1.0';
