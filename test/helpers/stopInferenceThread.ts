import { stopInferenceThread } from '../../lib/inference/inferenceThread';

// Jest gives each test file its own copy of our modules, so each file that runs a model starts an inference
// thread of its own, holding that file's ONNX sessions (hundreds of MB for ISNet). Unstopped, they piled up in
// the worker process that ran the files, until its exit had to tear them all down at once and took longer
// than Jest waits for a worker ("A worker process has failed to exit gracefully").
afterAll(() => stopInferenceThread());
