import { stopLoads } from '../../sandbox/load';

// Runs after every test file: a load a failed test did not stop would go on sending requests (to a load balancer
// that is gone) and keep the test process from exiting.
afterAll(stopLoads);
