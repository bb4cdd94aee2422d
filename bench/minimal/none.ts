// The least a handler can be: the cold-start baseline for functions that call no AWS service.
export const handler = async () => ({ statusCode: 200, body: 'ok' });
