import { waitFor } from '../int/media/media-harness';
import type { Stack } from './stack';

/** registerCamera as an admin through a stack's gateway (the input as RegisterCameraInput takes it). */
export async function registerCamera(stack: Stack, input: Record<string, unknown>): Promise<{ id: string; position: string }> {
  const result = await stack.graphql<{ registerCamera: { id: string; position: string } }>(
    'mutation($input: RegisterCameraInput!) { registerCamera(input: $input) { id position } }',
    { input },
    'admin',
  );
  expect(result.errors).toBeUndefined();
  return result.data!.registerCamera;
}

/**
 * Live sessions through a stack's gateway, as the e2e tests of media use them: `fields` is the
 * StreamSession selection each test reads.
 */
export function streamApi<Session extends { status: string }>(stack: Stack, fields: string) {
  return {
    /** startStream as an operator; the media subgraph learns the camera from its event a moment after the command answered. */
    startWhenKnown: (cameraId: string) =>
      waitFor('camera known to media', async () => {
        const result = await stack.graphql<{ startStream: Session }>(
          `mutation($id: ID!) { startStream(cameraId: $id) { ${fields} } }`,
          { id: cameraId },
          'operator',
        );
        if (result.errors?.[0]?.extensions?.code === 'NOT_FOUND') return undefined;
        expect(result.errors).toBeUndefined();
        return result.data!.startStream;
      }),
    /** The session once it has this status. */
    sessionStatus: (id: string, status: string, timeoutMs = 30000) =>
      waitFor(
        `session ${status}`,
        async () => {
          const result = await stack.graphql<{ streamSession: Session | null }>(`query($id: ID!) { streamSession(id: $id) { ${fields} } }`, { id }, 'viewer');
          return result.data?.streamSession?.status === status ? result.data.streamSession : undefined;
        },
        timeoutMs,
      ),
  };
}
