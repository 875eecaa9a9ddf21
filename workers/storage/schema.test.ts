import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { migrate } from "./schema.js";

// Any SQLite-backed object gives a real storage to migrate; these names are used by no call.
const storage = (name: string) => env.CALL_SESSION.get(env.CALL_SESSION.idFromName(`schema-test/${name}`));

describe("migrate", () => {
  it("applies only the migrations a storage has not seen, and records the version", async () => {
    await runInDurableObject(storage("a"), (_o, state) => {
      const v1 = ["CREATE TABLE t (a INTEGER)"];
      expect(migrate(state.storage, "t", v1)).toBe(1);
      expect(migrate(state.storage, "t", v1)).toBe(1); // the CREATE is not run twice (it would throw)
      expect(migrate(state.storage, "t", [...v1, "ALTER TABLE t ADD COLUMN b TEXT"])).toBe(2);
      state.storage.sql.exec("INSERT INTO t (a, b) VALUES (1, 'x')");
      expect(state.storage.sql.exec("SELECT a, b FROM t").toArray()).toEqual([{ a: 1, b: "x" }]);
    });
  });

  it("keeps schemas of different names apart in one storage", async () => {
    await runInDurableObject(storage("b"), (_o, state) => {
      expect(migrate(state.storage, "one", ["CREATE TABLE one (a INTEGER)"])).toBe(1);
      expect(migrate(state.storage, "two", ["CREATE TABLE two (a INTEGER)", "CREATE TABLE two_b (a INTEGER)"])).toBe(2);
      expect(migrate(state.storage, "one", ["CREATE TABLE one (a INTEGER)"])).toBe(1);
    });
  });

  it("refuses storage written by a newer schema than the code knows", async () => {
    await runInDurableObject(storage("c"), (_o, state) => {
      migrate(state.storage, "t", ["CREATE TABLE t (a INTEGER)", "CREATE TABLE t2 (a INTEGER)"]);
      expect(() => migrate(state.storage, "t", ["CREATE TABLE t (a INTEGER)"])).toThrow(/newer than this code/);
    });
  });

  it("rolls a failing migration back whole", async () => {
    await runInDurableObject(storage("d"), (_o, state) => {
      expect(() => migrate(state.storage, "t", ["CREATE TABLE y (a INTEGER)", "NOT SQL"])).toThrow();
      const tables = state.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'y'").toArray();
      expect(tables).toEqual([]);
      expect(migrate(state.storage, "t", ["CREATE TABLE y (a INTEGER)"])).toBe(1);
    });
  });
});
