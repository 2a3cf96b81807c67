import { toCamera } from '../../../subgraphs/query/src/graphql/mappers';
import type { ViewDoc } from '../../../subgraphs/query/src/views/view-doc';

describe('camera view -> GraphQL Camera', () => {
  const doc = (rtspUrl: string): ViewDoc =>
    ({ id: 'c1', version: 1, position: 1, applied: [1], hasRecord: true, fv: {}, name: 'Gate', rtspUrl, status: 'ACTIVE' }) as ViewDoc;

  it('masks credentials even in a view document projected before query parameters were masked', () => {
    expect(toCamera(doc('rtsp://***@10.0.0.1/s?user=admin&password=secret')).rtspUrl).toBe('rtsp://***@10.0.0.1/s?user=***&password=***');
    expect(toCamera(doc('rtsp://10.0.0.1/s?channel=1')).rtspUrl).toBe('rtsp://10.0.0.1/s?channel=1');
  });
});
