import { fileURLToPath } from "node:url";

export function fromFileUrl(url: URL): string {
  const path = fileURLToPath(url);
  return url.pathname.endsWith("/") && !path.endsWith("/") ? path + "/" : path;
}
