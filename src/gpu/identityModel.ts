/**
 * A one-node ONNX model (Identity, float[1] x → y), serialised with
 * onnx-proto. Enough to prove an execution provider loads and runs.
 */
const IDENTITY_ONNX_BASE64 =
  'CAcSCWNvZGVpbnRlbDo+ChAKAXgSAXkiCElkZW50aXR5EghpZGVudGl0eVoPCgF4EgoKCAgBEgQKAggBYg8KAXkSCgoICAESBAoCCAFCBAoAEA0=';

export const identityModel = (): Uint8Array => new Uint8Array(Buffer.from(IDENTITY_ONNX_BASE64, 'base64'));
