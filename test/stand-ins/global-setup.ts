/**
 * vitest globalSetup of the Workers-runtime project: starts every vendor
 * stand-in on a free port and hands their base URLs to the project's
 * bindings (OPENAI_BASE_URL, ...), the same variables the local stack sets.
 */
import type { TestProject } from "vitest/node";
import { startStandIns, type StandIns } from "./stand-ins.js";

declare module "vitest" {
  export interface ProvidedContext {
    standIns: Record<string, string>;
  }
}

let running: StandIns | undefined;

export async function setup(project: TestProject): Promise<void> {
  running = await startStandIns();
  project.provide("standIns", running.env);
}

export async function teardown(): Promise<void> {
  await running?.close();
}
